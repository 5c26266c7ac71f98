// parley-sdk: the browser SDK of Parley.
//
// createClient() loads the Go runtime (wasm_exec.js, from the toolchain that
// built parley.wasm) and parley.wasm once per wasm URL, then asks it for a
// client. Every client method returns a Promise; a rejection is an Error
// with a string `code`. See index.d.ts for every method, event and shape.
//
// Works in a page and in a Worker: nothing here touches window or document.

// The client's Promise methods and how many arguments each takes, generated
// from wasm/surface.go, the one list of them: ParleyClient's methods and
// the check that parley.wasm has them are made from it.
import { methods } from './surface.gen.js';

/** @type {Map<string, Promise<any>>} one Go runtime per wasm URL */
const runtimes = new Map();

function codedError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

function loadRuntime(wasmURL) {
  let p = runtimes.get(wasmURL);
  if (!p) {
    p = startRuntime(wasmURL);
    runtimes.set(wasmURL, p);
    // A failed load may be retried by the next createClient.
    p.catch(() => runtimes.delete(wasmURL));
  }
  return p;
}

async function instantiate(wasmURL, importObject) {
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      return await WebAssembly.instantiateStreaming(fetch(wasmURL), importObject);
    } catch (err) {
      // Most often a server that does not send application/wasm: fall back
      // to compiling from bytes (below). A network error fails there too.
    }
  }
  const resp = await fetch(wasmURL);
  if (!resp.ok) {
    throw codedError('network', `parley: cannot load ${wasmURL}: HTTP ${resp.status}`);
  }
  return WebAssembly.instantiate(await resp.arrayBuffer(), importObject);
}

async function startRuntime(wasmURL) {
  if (typeof globalThis.Go !== 'function') {
    await import('./wasm_exec.js');
  }
  const go = new globalThis.Go();
  // The Go program publishes its API under this name; a unique name keeps
  // two runtimes (two wasm URLs) apart.
  const key = '__parley_' + Math.random().toString(36).slice(2);
  go.argv = ['parley', key];
  let instance;
  try {
    ({ instance } = await instantiate(wasmURL, go.importObject));
  } catch (err) {
    if (err && err.code) throw err;
    throw codedError('network', `parley: cannot load ${wasmURL}: ${err && err.message ? err.message : err}`);
  }
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
 * Creates a client. See index.d.ts.
 * @param {import('./index.d.ts').ClientOptions} options
 * @returns {Promise<ParleyClient>}
 */
export async function createClient(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw codedError('invalid_argument', 'createClient: options must be an object');
  }
  const { serverURL, wasmURL, dbName, logLevel, tokenWillExpireBefore } = options;
  if (typeof serverURL !== 'string' || !/^https?:\/\//i.test(serverURL)) {
    throw codedError('invalid_argument', 'createClient: serverURL must be an http(s) URL');
  }
  if (wasmURL !== undefined && typeof wasmURL !== 'string' && !(wasmURL instanceof URL)) {
    throw codedError('invalid_argument', 'createClient: wasmURL must be a string or URL');
  }
  if (dbName !== undefined && (typeof dbName !== 'string' || dbName === '')) {
    throw codedError('invalid_argument', 'createClient: dbName must be a non-empty string');
  }
  if (logLevel !== undefined && !['debug', 'info', 'warn', 'error', 'off'].includes(logLevel)) {
    throw codedError('invalid_argument', "createClient: logLevel must be 'debug', 'info', 'warn', 'error' or 'off'");
  }
  if (tokenWillExpireBefore !== undefined && !(Number.isInteger(tokenWillExpireBefore) && tokenWillExpireBefore > 0)) {
    throw codedError('invalid_argument', 'createClient: tokenWillExpireBefore must be a positive integer (ms)');
  }
  // Default: next to this file. A given URL resolves like a link on the
  // page (or the Worker's script).
  const url = wasmURL === undefined
    ? new URL('./parley.wasm', import.meta.url).href
    : new URL(wasmURL, globalThis.location?.href ?? import.meta.url).href;
  const api = await loadRuntime(url);
  const handle = await api.createClient({
    serverURL,
    dbName: dbName ?? 'parley',
    logLevel: logLevel ?? 'warn',
    tokenWillExpireBefore: tokenWillExpireBefore ?? 0,
  });
  return new ParleyClient(handle, api);
}

/** The Go runtime's version of the SDK. */
export const version = '0.1.0';

/** A Parley client. Create it with createClient(). */
export class ParleyClient {
  #h;
  #api;
  #closed = false;

  constructor(handle, api) {
    // parley.wasm and this file ship together; a mismatch is a packaging bug.
    for (const m of [...Object.keys(methods), 'on']) {
      if (typeof handle[m] !== 'function') {
        throw codedError('internal', `parley: parley.wasm lacks method ${m}; index.js and parley.wasm come from different builds`);
      }
    }
    this.#h = handle;
    this.#api = api;
  }

  #call(name, args) {
    if (this.#closed) {
      return Promise.reject(codedError('closed', `parley: ${name} on a closed client`));
    }
    if (this.#api.exited) {
      return Promise.reject(codedError('internal', 'parley: the Go runtime has exited; reload the page'));
    }
    try {
      return this.#h[name](...args);
    } catch (err) {
      return Promise.reject(err && err.code ? err : codedError('internal', String(err && err.message ? err.message : err)));
    }
  }

  /**
   * Ends the client for good: logs out locally (the token is not revoked,
   * local data stays), removes every handler and releases the client's Go
   * functions. Every later call rejects with code 'closed'; closing again
   * resolves at once.
   */
  close() {
    if (this.#closed || this.#api.exited) return Promise.resolve();
    const p = this.#call('close', []);
    // From now on nothing calls into the functions close releases.
    this.#closed = true;
    return p;
  }

  /**
   * Registers handler for event name and returns a function that removes
   * it. Throws an Error with code 'invalid_argument' for an unknown event or
   * a handler that is not a function. A handler that throws is logged and
   * does not affect the SDK or the other handlers.
   */
  on(name, handler) {
    if (this.#closed) {
      throw codedError('closed', 'parley: on on a closed client');
    }
    if (this.#api.exited) {
      throw codedError('internal', 'parley: the Go runtime has exited; reload the page');
    }
    const off = this.#h.on(name, handler);
    if (off instanceof Error) throw off;
    let done = false;
    return () => {
      // After close the function is released; the handler is gone anyway.
      if (done || this.#closed || this.#api.exited) return;
      done = true;
      off();
    };
  }

  // Every other method passes its argument (or none) to the Go function of
  // the same name; index.d.ts documents each. The methods written out above
  // keep their own bodies.
  static {
    for (const [name, arity] of Object.entries(methods)) {
      if (Object.hasOwn(ParleyClient.prototype, name)) continue;
      const method = arity === 0
        ? { [name]() { return this.#call(name, []); } }[name]
        : { [name](args) { return this.#call(name, [args]); } }[name];
      Object.defineProperty(ParleyClient.prototype, name, { value: method, writable: true, configurable: true });
    }
  }
}
