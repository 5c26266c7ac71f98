// The worker that hosts a shared parley-sdk instance: one Go client for
// every tab of one origin that uses the same serverURL, dbName and user.
// index.js starts it in one of two ways (see index.d.ts, "Sharing"):
//
//   - as a SharedWorker: each tab's port sends {t:'init'} and then calls;
//     the worker lives as long as any tab of the group;
//   - as a dedicated Worker per tab (where SharedWorker is missing): each
//     tab's worker waits for the group's Web Lock; the one holding it is the
//     host and serves every tab over a BroadcastChannel, the others stand by
//     to take over when the host's tab closes.
//
// Messages (structured clone; a Blob or File argument crosses as itself):
//   tab -> host  {t:'init', options, resume}  (SharedWorker port only; resume:
//                                             login arguments, when the tab
//                                             was logged in with a host that
//                                             ended)
//                {t:'who'}                    (who is the host?)
//                {t:'call', tab, id, name, args}
//                {t:'net', online}            (the page's online/offline events)
//   host -> tab  {t:'host', host, version}
//                {t:'reply', to, id, ok, value | code, message}
//                  (a login that joined a running session adds joined:
//                  the connection state, for the tab to announce)
//                {t:'event', name, payload, host}
//                {t:'session', userID}        (after each login and logout)
// Errors cross as code and message: structured clone keeps an Error's
// message but drops its code.
import { Host, version } from './host.js';
import { asCoded, compileModule, holdLock } from './runtime.js';
// Imported here as well so that the browser fetches them beside host.js
// instead of after it (surface.gen.js) or after the start (wasm_exec.js,
// which runtime.js imports only where Go is missing): one round trip less
// each in a worker starting cold.
import './surface.gen.js';
import './wasm_exec.js';

// ---------- SharedWorker ----------

if (typeof globalThis.SharedWorkerGlobalScope === 'function' && globalThis instanceof globalThis.SharedWorkerGlobalScope) {
  let hosting = null; // resolves to the Host, once it holds the group's lock
  let host = null;
  const ports = new Set();
  const toAll = (msg) => {
    for (const p of ports) p.postMessage(msg);
  };
  // The tabs wait on the group's lock to learn that this worker ended (the
  // browser frees it then), as standby workers do without SharedWorker.
  const start = async (options, resume) => {
    // parley.wasm's fetch and compile go on while the lock is asked for.
    compileModule(options.wasmURL).catch(() => {});
    await holdLock(`parley-host:${globalThis.name}`);
    const h = new Host(options, toAll);
    await h.ready();
    if (resume) await h.resume(resume);
    host = h;
    return h;
  };
  globalThis.addEventListener('connect', (e) => {
    const port = e.ports[0];
    ports.add(port);
    // Where the browser tells a closed port, stop sending to it.
    port.addEventListener('close', () => ports.delete(port));
    port.addEventListener('message', (ev) => {
      const msg = ev.data;
      if (msg && msg.t === 'init') {
        hosting ??= start(msg.options, msg.resume);
        hosting.then(
          (h) => port.postMessage({ t: 'host', host: h.id, version }),
          (err) => {
            const c = asCoded(err);
            port.postMessage({ t: 'failed', code: c.code, message: c.message });
          },
        );
        return;
      }
      if (msg && msg.t === 'detach') {
        ports.delete(port);
        port.close();
        return;
      }
      host?.handle(msg, (m) => port.postMessage(m));
    });
    port.start();
  });
}

// ---------- dedicated Worker: a candidate for host ----------

if (typeof globalThis.DedicatedWorkerGlobalScope === 'function' && globalThis instanceof globalThis.DedicatedWorkerGlobalScope) {
  globalThis.addEventListener('message', (e) => {
    const msg = e.data;
    if (!msg || msg.t !== 'lead') return;
    const { options, channel: name } = msg;
    const channel = new BroadcastChannel(name);
    // What this worker does if it becomes the host: log in with its tab's
    // latest login arguments while the group is logged in, or not at all.
    let lastLogin = msg.login;
    let wanted = msg.login;
    let host = null;
    globalThis.addEventListener('message', (ev) => {
      if (ev.data && ev.data.t === 'login') lastLogin = ev.data.args;
    });
    channel.addEventListener('message', (ev) => {
      const m = ev.data;
      if (m && m.t === 'session') {
        wanted = m.userID === '' ? null : lastLogin;
        return;
      }
      host?.handle(m, (r) => channel.postMessage(r));
    });
    // Started ahead (parley.wasm compiled, the Go runtime running, its
    // client made but not logged in), so that taking over costs only the
    // login: 150-300 ms less at load 8 (docs/benchmarks.md), for the
    // memory of one idle Go runtime per standby tab.
    const post = (m) => channel.postMessage(m);
    const early = new Host(options, post);
    early.ready().catch(() => {});
    // Until the lock is ours another tab's worker is the host; the browser
    // frees it when that tab closes or crashes.
    holdLock(`parley-host:${name}`).then(async () => {
      // What failed ahead is tried once more, and reported if it fails again.
      const h = await early.ready().then(() => early, () => new Host(options, post));
      try {
        await h.ready();
        if (wanted) await h.resume(wanted);
      } catch (err) {
        const c = asCoded(err);
        channel.postMessage({ t: 'failed', code: c.code, message: c.message });
        globalThis.postMessage({ t: 'failed', code: c.code, message: c.message });
        return;
      }
      host = h;
      channel.postMessage({ t: 'host', host: h.id, version });
    });
  });
}
