// The Go runtime of parley-sdk: loading parley.wasm and asking it for a
// client handle. index.js uses it on the page (sharing 'off', or where no
// worker can run) and worker.js inside the worker that hosts a shared
// instance. Nothing here touches window or document.

/** An Error with a string code, as every rejection of the SDK is. */
export function codedError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

/** Turns anything thrown into a coded Error. */
export function asCoded(err) {
  if (err && typeof err.code === 'string') return err;
  return codedError('internal', String(err && err.message ? err.message : err));
}

/** @type {Map<string, Promise<any>>} one Go runtime per wasm URL and realm */
const runtimes = new Map();

/**
 * Resolves to the Go API ({createClient, version, exited}) of the runtime
 * for wasmURL, loading it on first use.
 */
export function loadRuntime(wasmURL) {
  let p = runtimes.get(wasmURL);
  if (!p) {
    p = startRuntime(wasmURL);
    runtimes.set(wasmURL, p);
    // A failed load may be retried by the next createClient.
    p.catch(() => runtimes.delete(wasmURL));
  }
  return p;
}

/** @type {Map<string, Promise<WebAssembly.Module>>} compiled parley.wasm per URL */
const modules = new Map();

/**
 * Resolves to parley.wasm compiled, fetching and compiling it on first use:
 * a runtime started again for the same URL (after Go exited) reuses it.
 */
export function compileModule(wasmURL) {
  let p = modules.get(wasmURL);
  if (!p) {
    p = compile(wasmURL);
    modules.set(wasmURL, p);
    p.catch(() => modules.delete(wasmURL));
  }
  return p;
}

async function compile(wasmURL) {
  try {
    if (typeof WebAssembly.compileStreaming === 'function') {
      try {
        return await WebAssembly.compileStreaming(fetch(wasmURL));
      } catch (err) {
        // Most often a server that does not send application/wasm: fall
        // back to compiling from bytes (below). A network error fails there too.
      }
    }
    const resp = await fetch(wasmURL);
    if (!resp.ok) {
      throw codedError('network', `parley: cannot load ${wasmURL}: HTTP ${resp.status}`);
    }
    return await WebAssembly.compile(await resp.arrayBuffer());
  } catch (err) {
    if (err && err.code) throw err;
    throw codedError('network', `parley: cannot load ${wasmURL}: ${err && err.message ? err.message : err}`);
  }
}

async function startRuntime(wasmURL) {
  // parley.wasm's fetch and compile start before the glue's import, not
  // after it: in a worker starting cold both are fetched then.
  const module = compileModule(wasmURL);
  module.catch(() => {}); // awaited below; reported there
  if (typeof globalThis.Go !== 'function') {
    await import('./wasm_exec.js');
  }
  const go = new globalThis.Go();
  // The Go program publishes its API under this name; a unique name keeps
  // two runtimes (two wasm URLs) apart.
  const key = '__parley_' + Math.random().toString(36).slice(2);
  go.argv = ['parley', key];
  const instance = await WebAssembly.instantiate(await module, go.importObject);
  const exited = go.run(instance); // runs main until it waits; resolves only if Go exits
  const api = globalThis[key];
  delete globalThis[key];
  if (!api || typeof api.createClient !== 'function') {
    throw codedError('internal', 'parley: parley.wasm did not start');
  }
  exited.then(() => {
    runtimes.delete(wasmURL);
    api.exited = true;
  });
  return api;
}

/**
 * Holds the Web Lock name (ifAvailable: only if nobody holds it) until the
 * returned release function is called. Resolves to null when the lock is
 * taken, and to a no-op release where the browser has no Web Locks.
 */
export function holdLock(name, { ifAvailable = false, signal } = {}) {
  const locks = globalThis.navigator?.locks;
  if (!locks || typeof locks.request !== 'function') return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    let release;
    const held = new Promise((r) => (release = r));
    const opts = ifAvailable ? { ifAvailable: true } : signal ? { signal } : {};
    locks
      .request(name, opts, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        resolve(release);
        return held;
      })
      .catch(reject);
  });
}

/**
 * The name of the Web Lock held by whoever has userID's database of dbName
 * open: the shared instance's host, or a client with sharing 'off'.
 */
export function databaseLock(dbName, userID) {
  return `parley-db:${dbName}:${userID}`;
}
