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
//   tab -> host  {t:'init', options}          (SharedWorker port only)
//                {t:'who'}                    (who is the host?)
//                {t:'call', tab, id, name, args}
//                {t:'net', online}            (the page's online/offline events)
//   host -> tab  {t:'host', host, version}
//                {t:'reply', to, id, ok, value | code, message}
//                  (a login that joined a running session adds joined:
//                  the connection state, for the tab to announce)
//                {t:'event', name, payload}
//                {t:'session', userID}        (after each login and logout)
// Errors cross as code and message: structured clone keeps an Error's
// message but drops its code.
import { methods, events } from './surface.gen.js';
import { asCoded, codedError, compileModule, databaseLock, holdLock, loadRuntime } from './runtime.js';

const version = '0.1.0';

/** What login resolves to in the host when the tab joins a session. */
class Joined {
  constructor(state) {
    this.state = state;
  }
}

/**
 * One Go client and the tabs it serves. index.js runs one on the page, for
 * sharing 'off' and where no worker can run.
 */
export class Host {
  #opts;
  #h = null;
  #ready;
  #post; // (msg) => void: to every tab
  #release = null; // the database lock, while logged in
  #queue = Promise.resolve(); // login and logout, one at a time
  id = Math.random().toString(36).slice(2);

  constructor(opts, post) {
    this.#opts = opts;
    this.#post = post;
    this.#ready = this.#start();
  }

  async #start() {
    const api = await loadRuntime(this.#opts.wasmURL);
    const h = await api.createClient({
      serverURL: this.#opts.serverURL,
      dbName: this.#opts.dbName,
      logLevel: this.#opts.logLevel,
    });
    // parley.wasm and this file ship together; a mismatch is a packaging bug.
    for (const m of [...Object.keys(methods), 'on']) {
      if (typeof h[m] !== 'function') {
        throw codedError('internal', `parley: parley.wasm lacks method ${m}; index.js and parley.wasm come from different builds`);
      }
    }
    for (const name of events) {
      h.on(name, (payload) => this.#post({ t: 'event', name, payload }));
    }
    this.#h = h;
  }

  /** Ends the Go client (on the page, when its one tab is done with it). */
  async close() {
    try {
      await this.#ready;
    } catch {
      return;
    }
    await this.#h.close();
    this.#release?.();
    this.#release = null;
  }

  /** Resolves once the Go client exists; rejects if parley.wasm failed. */
  ready() {
    return this.#ready;
  }

  /** Runs one call of the surface and resolves to its value. */
  async call(name, args) {
    await this.#ready;
    if (!Object.hasOwn(methods, name) || name === 'close') {
      // close() ends one tab's client, which index.js does on its side.
      throw codedError('invalid_argument', `parley: no method ${name}`);
    }
    if (name === 'login' || name === 'logout') {
      const run = this.#queue.then(() => (name === 'login' ? this.#login(args[0]) : this.#logout()));
      this.#queue = run.catch(() => {});
      return run;
    }
    return this.#h[name](...args);
  }

  async #login(args) {
    const userID = args && typeof args === 'object' ? args.userID : undefined;
    if (userID && userID === this.#opts.userID && (await this.#h.getLoginUserID()) === userID) {
      // Another tab logged in already: this one joins, and learns the
      // state the others heard announced.
      return new Joined(await this.#h.getConnectionState());
    }
    if (userID !== this.#opts.userID) {
      // index.js picks the host by userID: only a bad argument gets here,
      // and Go's own check words the error.
      return this.#h.login(args);
    }
    const release = await holdLock(databaseLock(this.#opts.dbName, userID), { ifAvailable: true });
    if (!release) {
      throw codedError('unavailable', `parley: ${userID}'s local data (dbName '${this.#opts.dbName}') is open in a client with sharing 'off'`);
    }
    try {
      await this.#h.login(args);
    } catch (err) {
      release();
      throw err;
    }
    this.#release = release;
    this.#post({ t: 'session', userID });
    return undefined;
  }

  async #logout() {
    try {
      return await this.#h.logout();
    } finally {
      if ((await this.#h.getLoginUserID()) === '') {
        this.#release?.();
        this.#release = null;
        this.#post({ t: 'session', userID: '' });
      }
    }
  }

  /** Serves one message from a tab; reply sends the answer to that tab. */
  handle(msg, reply) {
    switch (msg && msg.t) {
      case 'who':
        reply({ t: 'host', host: this.id, version });
        break;
      case 'net':
        // The Go client listens for these on its global scope; a worker
        // may not see the page's.
        globalThis.dispatchEvent(new Event(msg.online ? 'online' : 'offline'));
        break;
      case 'call': {
        const { tab, id, name, args } = msg;
        Promise.resolve()
          .then(() => this.call(name, Array.isArray(args) ? args : []))
          .then(
            (value) => reply(value instanceof Joined
              ? { t: 'reply', to: tab, id, ok: true, value: undefined, joined: value.state }
              : { t: 'reply', to: tab, id, ok: true, value }),
            (err) => {
              const e = asCoded(err);
              reply({ t: 'reply', to: tab, id, ok: false, code: e.code, message: e.message });
            },
          )
          .catch((err) => {
            // The value could not be cloned: the caller still gets an answer.
            reply({ t: 'reply', to: tab, id, ok: false, code: 'internal', message: `parley: ${name}: ${err && err.message}` });
          });
        break;
      }
    }
  }

  /** Logs in with args before serving, as the host taking over does. */
  async resume(args) {
    try {
      await this.#ready;
      await this.#login(args);
    } catch (err) {
      // The tabs' own login calls, resent to this host, report it.
    }
  }
}

// ---------- SharedWorker ----------

if (typeof globalThis.SharedWorkerGlobalScope === 'function' && globalThis instanceof globalThis.SharedWorkerGlobalScope) {
  let host = null;
  const ports = new Set();
  const toAll = (msg) => {
    for (const p of ports) p.postMessage(msg);
  };
  globalThis.addEventListener('connect', (e) => {
    const port = e.ports[0];
    ports.add(port);
    // Where the browser tells a closed port, stop sending to it.
    port.addEventListener('close', () => ports.delete(port));
    port.addEventListener('message', (ev) => {
      const msg = ev.data;
      if (msg && msg.t === 'init') {
        host ??= new Host(msg.options, toAll);
        host.ready().then(
          () => port.postMessage({ t: 'host', host: host.id, version }),
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
    // Compiled ahead, so that taking over costs no compile (what fails
    // here fails again, and is reported, when this worker hosts).
    compileModule(options.wasmURL).catch(() => {});
    // Until the lock is ours another tab's worker is the host; the browser
    // frees it when that tab closes or crashes.
    holdLock(`parley-host:${name}`).then(async () => {
      const h = new Host(options, (m) => channel.postMessage(m));
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
