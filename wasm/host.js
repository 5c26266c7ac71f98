// The host of a parley-sdk instance: one Go client and the tabs it serves,
// speaking the messages worker.js lists. worker.js runs it in a
// SharedWorker or a tab's dedicated Worker; index.js on the page (sharing
// 'off', or where no worker can run).
import { methods, events } from './surface.gen.js';
import { asCoded, codedError, databaseLock, holdLock, loadRuntime } from './runtime.js';

/** The SDK version; tabs of different versions never share a host. */
export const version = '0.1.0';

/**
 * The name a tab calls for its baseline (index.js's View): not a method of
 * the surface, so no app can call it. It resolves to
 * [{conversationID, seq, updatedAt}] after the events of every write it saw.
 */
export const marksCall = '#marks';

/** The lock held beside the data's lock by the SDK of this version. */
const versionLock = (lock) => `parley-version ${version} ${lock}`;

/** Whether an SDK of another version than this one holds the data's lock. */
async function otherVersionHolds(lock) {
  try {
    const { held } = await navigator.locks.query();
    return held.some((l) => {
      const [tag, v, ...rest] = l.name.split(' ');
      return tag === 'parley-version' && v !== version && rest.join(' ') === lock;
    });
  } catch {
    return false;
  }
}

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
  #waiting = null; // an AbortController while login waits for another SDK version to let go
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
      tokenWillExpireBefore: this.#opts.tokenWillExpireBefore,
    });
    // parley.wasm and this file ship together; a mismatch is a packaging bug.
    for (const m of [...Object.keys(methods), 'on']) {
      if (typeof h[m] !== 'function') {
        throw codedError('internal', `parley: parley.wasm lacks method ${m}; index.js and parley.wasm come from different builds`);
      }
    }
    for (const name of events) {
      h.on(name, (payload) => this.#post({ t: 'event', name, payload, host: this.id }));
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
    if (name === marksCall) return this.#h.conversationMarks();
    if (!Object.hasOwn(methods, name) || name === 'close') {
      // close() ends one tab's client, which index.js does on its side.
      throw codedError('invalid_argument', `parley: no method ${name}`);
    }
    if (name === 'logout' && this.#waiting && !this.#release) {
      // Not logged in yet: the login under way gives up (with 'canceled')
      // rather than keep this logout queued behind its wait.
      this.#waiting.abort();
      return undefined;
    }
    if (name === 'login' || name === 'logout') {
      const run = this.#queue.then(() => (name === 'login' ? this.#login(args[0]) : this.#logout()));
      this.#queue = run.catch(() => {});
      return run;
    }
    return this.#h[name](...args);
  }

  async #login(args) {
    const wait = new AbortController();
    this.#waiting = wait;
    try {
      return await this.#open(args, wait.signal);
    } finally {
      if (this.#waiting === wait) this.#waiting = null;
    }
  }

  async #open(args, signal) {
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
    const lock = databaseLock(this.#opts.dbName, userID);
    let release = await holdLock(lock, { ifAvailable: true });
    if (!release && !signal.aborted && (await otherVersionHolds(lock))) {
      // Tabs of another SDK version have the data open: wait until they
      // let go rather than open it under them (a newer SDK may upgrade the
      // database), or be turned away while they are about to close.
      release = await holdLock(lock, { signal }).catch(() => null);
    }
    if (signal.aborted) {
      release?.();
      throw codedError('canceled', `parley: login: logged out before ${userID}'s local data could be opened`);
    }
    this.#waiting = null; // from here on a logout waits for this login, and undoes it
    if (!release) {
      throw codedError('unavailable', `parley: ${userID}'s local data (dbName '${this.#opts.dbName}') is open in another instance (a client with sharing 'off')`);
    }
    // Beside the data's lock, one that says which SDK version holds it.
    const releaseVersion = await holdLock(versionLock(lock));
    const both = () => {
      release();
      releaseVersion();
    };
    try {
      await this.#h.login(args);
    } catch (err) {
      both();
      throw err;
    }
    this.#release = both;
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

