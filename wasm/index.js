// parley-sdk: the browser SDK of Parley.
//
// createClient() returns a client whose Promise methods and events are the
// table in surface.gen.js (generated from wasm/surface.go). Where the
// browser allows, the Go runtime does not run on the page: one instance
// per origin, serverURL, dbName and user serves every tab (index.d.ts,
// "Sharing"), and this file proxies each call and event to it:
//
//   - 'shared': a SharedWorker (worker.js) hosts it;
//   - 'leader': where SharedWorker is missing, each tab starts a dedicated
//     Worker (worker.js); the one holding the group's Web Lock hosts it and
//     the tabs reach it over a BroadcastChannel;
//   - 'local': the page (or Worker) using the SDK runs it itself: with
//     sharing 'off', outside a page, or where neither is possible.
//
// All three speak the same messages (see worker.js), so a call is the same
// wherever the instance runs; every rejection is an Error with a string
// `code`. Nothing here touches window or document except to listen for the
// page's online and offline events.

// The client's Promise methods and how many arguments each takes, and the
// event names, generated from wasm/surface.go, the one list of them.
import { methods, events } from './surface.gen.js';
import { asCoded, codedError, loadRuntime } from './runtime.js';
import { Host, marksCall, version } from './host.js';

const workerURL = new URL('./worker.js', import.meta.url).href;

/** Creates a client. See index.d.ts. */
export async function createClient(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw codedError('invalid_argument', 'createClient: options must be an object');
  }
  const { serverURL, wasmURL, dbName, logLevel, sharing, tokenWillExpireBefore } = options;
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
  if (sharing !== undefined && sharing !== 'auto' && sharing !== 'off') {
    throw codedError('invalid_argument', "createClient: sharing must be 'auto' or 'off'");
  }
  if (tokenWillExpireBefore !== undefined && !(Number.isInteger(tokenWillExpireBefore) && tokenWillExpireBefore > 0)) {
    throw codedError('invalid_argument', 'createClient: tokenWillExpireBefore must be a positive integer (ms)');
  }
  // Default: next to this file. A given URL resolves like a link on the
  // page (or the Worker's script).
  const url = wasmURL === undefined
    ? new URL('./parley.wasm', import.meta.url).href
    : new URL(wasmURL, globalThis.location?.href ?? import.meta.url).href;
  const opts = {
    serverURL,
    dbName: dbName ?? 'parley',
    logLevel: logLevel ?? 'warn',
    wasmURL: url,
    tokenWillExpireBefore: tokenWillExpireBefore ?? 0,
  };
  const kind = sharing === 'off' ? 'local' : sharedKind();
  if (kind === 'local') {
    // Load parley.wasm now, so that a bad wasmURL fails here, not at login.
    await loadRuntime(url);
  }
  return new ParleyClient(new Backend(opts, kind));
}

/** How this context reaches a shared instance. */
function sharedKind() {
  // Only a page shares: a Worker using the SDK is off the main thread
  // already and cannot start a SharedWorker.
  if (typeof globalThis.document === 'undefined') return 'local';
  if (typeof globalThis.SharedWorker === 'function') return 'shared';
  if (typeof globalThis.Worker === 'function' && typeof globalThis.BroadcastChannel === 'function' &&
    typeof globalThis.navigator?.locks?.request === 'function') {
    return 'leader';
  }
  return 'local';
}

/** The SDK version. */
export { version };

// Calls that may be asked again of the host that takes over when the one
// asked went away before answering: reads, and sends (the outbox keeps a
// message once per clientMsgID, so a send asked twice goes out once). Any
// other call rejects with 'unavailable': it may or may not have happened.
const retryable = (name) => name === marksCall || name === 'sendMessage' || name === 'login' || name === 'createTextMessage' || name.startsWith('get');

/**
 * One tab's link to the instance of one user: the messages of worker.js
 * over a SharedWorker's port, a BroadcastChannel, or to a Host on the page.
 */
class Remote {
  tab = Math.random().toString(36).slice(2);
  /** The arguments of this tab's latest login, for a fallback to the page. */
  lastLogin;
  #kind;
  #opts;
  #emit;
  #link = null;
  #host = null; // the id of the host that answers now
  #pending = new Map(); // id -> {name, args, resolve, reject, host}
  #next = 0;
  #closed = false;
  #unwatch = () => {};
  #name = '';
  #session = ''; // the user the host says is logged in, or ''
  #view = new View(); // what the app was told, for a resync at a takeover
  #served = false; // a host has answered this tab before

  constructor(kind, opts, login, emit) {
    this.userID = opts.userID;
    this.lastLogin = login;
    this.#opts = opts;
    this.#emit = emit;
    this.#connect(kind, login);
  }

  #connect(kind, login) {
    this.#kind = kind;
    // Only the current link speaks: a worker replaced after it ended may
    // still report its end (an error event) after the next one started.
    let link = null;
    const onMessage = (m) => {
      if (link === this.#link) this.#onMessage(m);
    };
    const fail = (err) => {
      if (link === this.#link) this.#fallback(err);
    };
    // One group per SDK version, origin, server, database and user.
    const name = `parley ${version} ${JSON.stringify([this.#opts.serverURL, this.#opts.dbName, this.#opts.userID, this.#opts.wasmURL])}`;
    this.#name = name;
    try {
      if (kind === 'shared') this.#link = sharedLink(name, this.#opts, onMessage, fail, this.#session ? this.lastLogin : undefined);
      else if (kind === 'leader') this.#link = leaderLink(name, this.#opts, login, onMessage, fail);
      else this.#link = localLink(this.#opts, onMessage, this.#session ? this.lastLogin : undefined);
    } catch (err) {
      if (kind === 'local') throw err;
      this.#connect('local', login);
      return;
    }
    link = this.#link;
    if (kind !== 'local') this.#unwatch = watchNetwork((online) => this.#link?.post({ t: 'net', online }));
  }

  // The worker could not start (its script or parley.wasm failed to load,
  // as offline without a service worker that keeps them): this tab runs
  // the instance itself; the database lock keeps it from a shared one.
  #fallback(err) {
    if (this.#closed || this.#host !== null || this.#kind === 'local') return;
    console.warn(`parley: the shared SDK worker did not start (${err && err.message ? err.message : err}); running on this page`);
    this.#unwatch();
    this.#link?.close();
    this.#connect('local', this.lastLogin);
  }

  #onMessage(m) {
    if (this.#closed || !m || typeof m !== 'object') return;
    switch (m.t) {
      case 'host':
        if (m.host !== this.#host) {
          const takeover = this.#served && this.#session !== '';
          if (takeover) this.#view.hold();
          this.#served = true;
          this.#host = m.host;
          if (this.#kind === 'shared') this.#watchHost(m.host);
          // Calls asked before, or of a host that is gone.
          for (const [id, p] of this.#pending) {
            if (p.host === m.host) continue;
            if (p.host === null || retryable(p.name)) this.#send(id, p);
            else {
              this.#pending.delete(id);
              p.reject(codedError('unavailable', `parley: ${p.name}: the tab hosting the shared SDK closed before answering; it may or may not have taken effect`));
            }
          }
          if (takeover) this.#view.resync((name, args) => this.call(name, args), this.userID, this.#emit);
        }
        break;
      case 'reply': {
        if (m.to !== this.tab) return;
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        // A tab joining a running session hears its state as the others did.
        if (m.ok && typeof m.joined === 'string') this.#emit('connectionStateChanged', { state: m.joined });
        if (m.ok && p.name === 'login') {
          this.#session = this.userID;
          // Soon: what a host stores but has not announced when the
          // baseline is read is what a takeover cannot tell apart from
          // what the app was told. The host answers after the events of
          // every write it read, so a later baseline is as exact; it reads
          // the whole list, so it is asked after the app's own calls of
          // this turn (the first page of the list, which core serves
          // first), not ahead of them.
          if (this.#kind !== 'local') setTimeout(() => this.#view.baseline((name, args) => this.call(name, args)), 0);
        }
        if (m.ok && p.name === 'logout') this.#session = '';
        if (m.ok) p.resolve(m.value);
        else p.reject(codedError(m.code || 'internal', m.message || 'parley: call failed'));
        break;
      }
      case 'event':
        // An event of another host than the one that answered so far: it
        // took over (its 'host' may come after its first events).
        if (this.#host !== null && m.host && m.host !== this.#host && this.#session !== '') this.#view.hold();
        this.#view.event(m.name, m.payload, this.#emit);
        break;
      case 'session':
        this.#session = m.userID;
        break;
      case 'failed':
        if (this.#host === null) this.#fallback(codedError(m.code, m.message));
        break;
    }
  }

  // The SharedWorker holds the group's lock while it hosts; a request for
  // it is granted once the worker ended (the browser ends one that crashed
  // or was killed). Then this tab starts the group's next worker, which
  // logs in again if the group was logged in; calls in flight are asked
  // again or reject with a code, as when a hosting tab closes.
  #watchHost(id) {
    const locks = globalThis.navigator?.locks;
    if (!locks || typeof locks.request !== 'function') return;
    locks.request(`parley-host:${this.#name}`, { mode: 'shared' }, () => {
      if (this.#closed || this.#host !== id) return;
      console.warn('parley: the shared SDK worker ended; starting it again');
      if (this.#session !== '') this.#view.hold();
      this.#host = null;
      this.#unwatch();
      this.#link.close();
      this.#connect('shared');
    }).catch(() => {});
  }

  #send(id, p) {
    p.host = this.#host;
    try {
      this.#link.post({ t: 'call', tab: this.tab, id, name: p.name, args: p.args });
    } catch (err) {
      // Most often an argument the structured clone cannot copy.
      this.#pending.delete(id);
      p.reject(codedError('invalid_argument', `parley: ${p.name}: ${err && err.message ? err.message : err}`));
    }
  }

  call(name, args) {
    if (this.#closed) return Promise.reject(codedError('closed', `parley: ${name} on a closed client`));
    if (name === 'login') {
      this.lastLogin = args[0];
      this.#link.login?.(args[0]);
    }
    return new Promise((resolve, reject) => {
      const id = ++this.#next;
      const p = { name, args, resolve, reject, host: null };
      this.#pending.set(id, p);
      if (this.#host !== null) this.#send(id, p);
    });
  }

  /** Detaches this tab; calls still waiting reject with 'closed'. */
  close() {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#unwatch();
    for (const p of this.#pending.values()) p.reject(codedError('closed', `parley: ${p.name} on a closed client`));
    this.#pending.clear();
    return this.#link.close();
  }
}

// The most messages a resync reads back per conversation.
const resyncPages = 4;
const resyncPage = 100;

/**
 * What one tab's app was told about a shared instance's data, so that at a
 * takeover the tab can be told what the host that went away stored but did
 * not announce (it announces after each write; a tab closing or crashing in
 * between takes the announcement with it). Per conversation: the highest
 * seq announced (newMessages, 'sent', a conversationsChanged's latest
 * message) and the latest updatedAt; per own message not sent: its last
 * status. A resync compares that with the new host's data and announces
 * the difference once, holding the live events meanwhile; what it
 * announced is not announced again when the new host's own events say it.
 */
class View {
  seq = new Map();
  upd = new Map();
  status = new Map(); // clientMsgID -> 'sending' | 'failed'
  #held = null; // [name, payload] while a takeover is resynced
  #snap = null; // the view when the takeover began
  #echo = new Set(); // 'id' or 'id status' a resync announced
  #gen = 0;
  #based = false; // baseline read: without it a resync cannot tell new from old

  #note(name, payload) {
    const seq = (c, n) => n > (this.seq.get(c) ?? 0) && this.seq.set(c, n);
    if (name === 'newMessages') {
      for (const m of payload) seq(m.conversationID, m.seq);
    } else if (name === 'messageStatusChanged') {
      if (payload.status === 'sent') {
        this.status.delete(payload.clientMsgID);
        seq(payload.conversationID, payload.seq);
      } else this.status.set(payload.clientMsgID, payload.status);
    } else if (name === 'conversationsChanged') {
      for (const c of payload) {
        if (c.latestMessage) seq(c.conversationID, c.latestMessage.seq);
        if (c.updatedAt > (this.upd.get(c.conversationID) ?? -1)) this.upd.set(c.conversationID, c.updatedAt);
      }
    }
  }

  /** Passes an event to the app once, or holds it during a resync. */
  event(name, payload, emit) {
    // The connection's state says nothing of the data: a takeover's
    // reconnect is told at once, not after the resync's reads.
    if (this.#held && name !== 'connectionStateChanged') {
      this.#held.push([name, payload]);
      return;
    }
    if (this.#echo.size) {
      if (name === 'newMessages' && Array.isArray(payload)) {
        payload = payload.filter((m) => !this.#echo.delete(m.clientMsgID));
        if (!payload.length) return;
      } else if (name === 'messageStatusChanged' && payload && this.#echo.delete(`${payload.clientMsgID} ${payload.status}`)) return;
    }
    try {
      this.#note(name, payload);
    } catch {
      // An event of a shape this file does not know is passed on as is.
    }
    emit(name, payload);
  }

  /** What the tab holds at login: a conversation's messages so far were announced. */
  async baseline(call) {
    try {
      // Marks, not the list: the list decorated and cloned costs the host
      // hundreds of milliseconds with 1,000 conversations.
      for (const c of await call(marksCall, [])) {
        this.#note('conversationsChanged', [{ conversationID: c.conversationID, updatedAt: c.updatedAt, latestMessage: { seq: c.seq } }]);
      }
      this.#based = true;
    } catch {
      // Logged out meanwhile, or the host went away: the next login makes one.
    }
  }

  /** A takeover began: live events wait for the resync. */
  hold() {
    if (this.#held) return;
    this.#held = [];
    this.#snap = { seq: new Map(this.seq), upd: new Map(this.upd), status: new Map(this.status) };
    this.#gen++;
  }

  /** Announces what the new host holds that the app was not told, then the held events. */
  async resync(call, me, emit) {
    if (!this.#held) return;
    const gen = this.#gen;
    const snap = this.#snap;
    const found = []; // [name, Message]
    const convs = [];
    let total = null;
    try {
      // Without a baseline every stored message would look new: better
      // tell nothing (a takeover before the baseline was read) than double.
      for (const c of this.#based ? await call('getConversationList', []) : []) {
        const id = c.conversationID;
        const seen = snap.seq.get(id) ?? 0;
        const latest = c.latestMessage?.seq ?? 0;
        if (latest <= seen && !(c.updatedAt > (snap.upd.get(id) ?? -1))) continue;
        convs.push(c);
        const got = [];
        let before = 0;
        for (let i = 0; i < resyncPages && latest > seen; i++) {
          const h = await call('getHistoryMessages', [{ conversationID: id, count: resyncPage, ...(before ? { beforeSeq: before } : {}) }]);
          got.unshift(...h.messages.filter((m) => m.seq > seen));
          if (h.isEnd || !h.messages.length || h.messages[0].seq <= seen + 1) break;
          before = h.messages[0].seq;
        }
        // Own messages of this browser were announced by status; any
        // other is new to the app.
        for (const m of got) found.push([m.sendID === me && snap.status.has(m.clientMsgID) ? 'messageStatusChanged' : 'newMessages', m]);
        for (const m of await call('getUnsentMessages', [{ conversationID: id }])) {
          if (snap.status.get(m.clientMsgID) !== m.status) found.push(['messageStatusChanged', m]);
        }
      }
      if (convs.length) total = await call('getTotalUnreadCount', []);
    } catch {
      // The session ended or the host went away again: what was found is
      // still announced, and the next takeover looks again.
    }
    if (gen !== this.#gen) return; // a later takeover resyncs instead
    const held = this.#held;
    this.#held = null;
    // What the new host announced meanwhile comes with the held events.
    const key = (name, m) => (name === 'newMessages' ? m.clientMsgID : `${m.clientMsgID} ${m.status}`);
    const live = new Set();
    for (const [name, p] of held) {
      if (name === 'newMessages') for (const m of p) live.add(key(name, m));
      if (name === 'messageStatusChanged') live.add(key(name, p));
    }
    const fresh = found.filter(([name, m]) => !live.has(key(name, m)));
    const news = fresh.filter(([name]) => name === 'newMessages').map(([, m]) => m);
    if (news.length) this.event('newMessages', news, emit);
    for (const [name, m] of fresh) if (name !== 'newMessages') this.event(name, m, emit);
    if (convs.length) this.event('conversationsChanged', convs, emit);
    if (total !== null) this.event('totalUnreadCountChanged', total, emit);
    // The new host may still announce what was read here (it stored it
    // while this ran): once is enough.
    for (const [name, m] of fresh) this.#echo.add(key(name, m));
    for (const [name, p] of held) this.event(name, p, emit);
  }
}

// The page's online and offline events, passed to a worker that may not
// see them. Returns the function that stops it.
function watchNetwork(fn) {
  const g = globalThis;
  if (typeof g.addEventListener !== 'function') return () => {};
  const on = () => fn(true);
  const off = () => fn(false);
  g.addEventListener('online', on);
  g.addEventListener('offline', off);
  return () => {
    g.removeEventListener('online', on);
    g.removeEventListener('offline', off);
  };
}

function sharedLink(name, opts, onMessage, fail, resume) {
  const w = new SharedWorker(workerURL, { type: 'module', name });
  const port = w.port;
  w.addEventListener('error', (e) => fail(new Error(e.message || 'SharedWorker error')));
  port.addEventListener('message', (e) => onMessage(e.data));
  port.start();
  port.postMessage({ t: 'init', options: opts, resume });
  return {
    post: (m) => port.postMessage(m),
    close: () => {
      port.postMessage({ t: 'detach' });
      port.close();
      return Promise.resolve();
    },
  };
}

function leaderLink(name, opts, login, onMessage, fail) {
  const channel = new BroadcastChannel(name);
  channel.addEventListener('message', (e) => onMessage(e.data));
  const w = new Worker(workerURL, { type: 'module', name });
  w.addEventListener('error', (e) => fail(new Error(e.message || 'Worker error')));
  w.addEventListener('message', (e) => onMessage(e.data));
  w.postMessage({ t: 'lead', options: opts, channel: name, login });
  channel.postMessage({ t: 'who' });
  return {
    post: (m) => channel.postMessage(m),
    login: (args) => w.postMessage({ t: 'login', args }),
    close: () => {
      // If this tab's worker is the host, another tab's takes over.
      w.terminate();
      channel.close();
      return Promise.resolve();
    },
  };
}

function localLink(opts, onMessage, resume) {
  // Asynchronous like a port, so that a handler never runs inside Go.
  const deliver = (m) => queueMicrotask(() => onMessage(m));
  const host = new Host(opts, deliver);
  host.ready().then(() => resume && host.resume(resume)).then(
    () => deliver({ t: 'host', host: host.id }),
    (err) => {
      const c = asCoded(err);
      // Nothing to fall back to: every call asked so far rejects.
      deliver({ t: 'host', host: host.id });
      host.failed = c;
    },
  );
  return {
    post: (m) => {
      if (m.t === 'call' && host.failed) {
        deliver({ t: 'reply', to: m.tab, id: m.id, ok: false, code: host.failed.code, message: host.failed.message });
        return;
      }
      host.handle(m, deliver);
    },
    close: () => host.close(),
  };
}

/**
 * A client's side: its handlers, and the Remote of the user it is logged in
 * as (or was last). Before the first login there is none, and the calls
 * answer as a logged-out client does.
 */
class Backend {
  #opts;
  #kind;
  #remote = null;
  #handlers = new Map(events.map((e) => [e, new Set()]));
  #emit = (name, payload) => {
    const hs = this.#handlers.get(name);
    if (!hs) return;
    for (const fn of [...hs]) {
      try {
        fn(payload);
      } catch (err) {
        console.error(`parley: a ${name} handler threw:`, err);
      }
    }
  };

  constructor(opts, kind) {
    this.#opts = opts;
    this.#kind = kind;
  }

  on(name, handler) {
    const hs = this.#handlers.get(name);
    if (!hs) throw codedError('invalid_argument', `on: unknown event ${JSON.stringify(String(name))}`);
    if (typeof handler !== 'function') throw codedError('invalid_argument', 'on: handler must be a function');
    // A handler registered twice is called twice, as each registration is.
    const entry = (p) => handler(p);
    hs.add(entry);
    return () => hs.delete(entry);
  }

  call(name, args) {
    if (name === 'login') return this.#login(args[0]);
    if (name === 'close') return this.close();
    if (!this.#remote) {
      if (name === 'getLoginUserID') return Promise.resolve('');
      if (name === 'getConnectionState') return Promise.resolve('disconnected');
      return Promise.reject(codedError('not_logged_in', `parley: ${name}: not logged in`));
    }
    return this.#remote.call(name, args);
  }

  async #login(a) {
    if (a === null || typeof a !== 'object' || Array.isArray(a)) {
      throw codedError('invalid_argument', 'login: argument must be an object {userID, token}');
    }
    if (typeof a.userID !== 'string' || a.userID === '') throw codedError('invalid_argument', 'login: invalid userID');
    if (typeof a.token !== 'string' || a.token === '') throw codedError('invalid_argument', 'login: token is required');
    const args = { userID: a.userID, token: a.token };
    if (this.#remote && this.#remote.userID !== args.userID) {
      const current = await this.#remote.call('getLoginUserID', []).catch(() => '');
      if (current) throw codedError('invalid_argument', `already logged in as ${current}; log out first`);
      await this.#remote.close();
      this.#remote = null;
    }
    this.#remote ??= new Remote(this.#kind, { ...this.#opts, userID: args.userID }, args, this.#emit);
    return this.#remote.call('login', [args]);
  }

  close() {
    for (const hs of this.#handlers.values()) hs.clear();
    const r = this.#remote;
    this.#remote = null;
    return r ? r.close() : Promise.resolve();
  }
}

/** A Parley client. Create it with createClient(). */
export class ParleyClient {
  #b;
  #closed = false;

  constructor(backend) {
    this.#b = backend;
  }

  #call(name, args) {
    if (this.#closed) {
      return Promise.reject(codedError('closed', `parley: ${name} on a closed client`));
    }
    try {
      return this.#b.call(name, args).catch((err) => {
        throw asCoded(err);
      });
    } catch (err) {
      return Promise.reject(asCoded(err));
    }
  }

  /**
   * Ends this client for good: removes every handler, and every later call
   * rejects with code 'closed'; closing again resolves at once. A client
   * running on the page logs out locally (the token is not revoked, local
   * data stays); a shared instance goes on serving the other tabs.
   */
  close() {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#b.close();
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
    return this.#b.on(name, handler);
  }

  // Every other method passes its argument (or none) to the instance's
  // method of the same name; index.d.ts documents each.
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
