// The browser benchmark of the Parley SDK. The runner (../run.mjs) serves
// this page next to the SDK (same origin, from parleyd's /sdk/) and calls
// the phases below with page.evaluate, seeding the server between them.
// Every phase resolves to plain numbers (milliseconds unless named
// otherwise) and rejects on a deadline rather than waiting for ever.
import { createClient } from './index.js';

const status = document.getElementById('status');
const now = () => performance.now();
const round = (x) => Math.round(x * 10) / 10;

function deadline(ms, what) {
  let timer;
  const p = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  p.cancel = () => clearTimeout(timer);
  return p;
}

async function within(ms, what, promise) {
  const d = deadline(ms, what);
  try {
    return await Promise.race([promise, d]);
  } finally {
    d.cancel();
  }
}

// wasmLoad times the three steps of getting parley.wasm running, one by
// one, in a browser context with an empty cache: download, compile,
// instantiate (with the Go runtime's imports). It does not run Go's main.
async function wasmLoad() {
  await import('./wasm_exec.js');
  const t0 = now();
  const resp = await fetch('./parley.wasm', { cache: 'no-store' });
  const bytes = await resp.arrayBuffer();
  const t1 = now();
  const module = await WebAssembly.compile(bytes);
  const t2 = now();
  const go = new globalThis.Go();
  await WebAssembly.instantiate(module, go.importObject);
  const t3 = now();
  // The same with instantiateStreaming, as createClient does it.
  const t4 = now();
  await WebAssembly.instantiateStreaming(fetch('./parley.wasm', { cache: 'no-store' }), new globalThis.Go().importObject);
  const t5 = now();
  return {
    wasmBytes: bytes.byteLength,
    downloadMs: round(t1 - t0),
    compileMs: round(t2 - t1),
    instantiateMs: round(t3 - t2),
    totalMs: round(t3 - t0),
    streamingDownloadCompileInstantiateMs: round(t5 - t4),
  };
}

// watchLongTasks records the page's long tasks (over 50 ms on its main
// thread) from now until the returned function is called, which resolves
// to their number, the longest and their sum.
function watchLongTasks() {
  const supported = typeof PerformanceObserver === 'function' &&
    (PerformanceObserver.supportedEntryTypes || []).includes('longtask');
  const tasks = [];
  let obs = null;
  if (supported) {
    obs = new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)));
    obs.observe({ type: 'longtask' });
  }
  return () => {
    if (obs) {
      tasks.push(...obs.takeRecords().map((e) => e.duration));
      obs.disconnect();
    }
    return {
      supported,
      count: tasks.length,
      maxMs: round(Math.max(0, ...tasks)),
      totalMs: round(tasks.reduce((a, b) => a + b, 0)),
    };
  };
}

// open creates a client and logs in, timing both.
async function open(serverURL, userID, token, dbName, sharing) {
  const t0 = now();
  const client = await within(60_000, 'createClient', createClient({ serverURL, dbName, sharing }));
  const t1 = now();
  await within(60_000, 'login', client.login({ userID, token }));
  const t2 = now();
  return { client, createClientMs: round(t1 - t0), loginMs: round(t2 - t1), loginStartedAt: t1 };
}

// waitForMessages resolves when `want` messages have been announced by
// newMessages since it was called, with the time of the last one.
function countMessages(client, want, timeoutMs) {
  let n = 0;
  let off;
  const p = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`only ${n} of ${want} newMessages within ${timeoutMs} ms`));
    }, timeoutMs);
    off = client.on('newMessages', (msgs) => {
      n += msgs.length;
      if (n >= want) {
        clearTimeout(timer);
        off();
        resolve({ count: n, at: now() });
      }
    });
  });
  return p;
}

// firstSync logs a user in on an empty store and waits until its
// conversation list holds `conversations` entries.
async function firstSync({ serverURL, userID, token, dbName, conversations }) {
  status.textContent = 'first sync';
  const o = await open(serverURL, userID, token, dbName);
  const end = Date.now() + 120_000;
  let list = [];
  while (Date.now() < end) {
    list = await o.client.getConversationList({ offset: 0, count: conversations + 10 });
    if (list.length >= conversations) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const t = now();
  if (list.length < conversations) throw new Error(`first sync listed ${list.length} of ${conversations} conversations`);
  await o.client.logout();
  return { createClientMs: o.createClientMs, loginMs: o.loginMs, listedAfterMs: round(t - o.loginStartedAt), conversations: list.length };
}

// catchUp logs in on a store that lacks `messages` messages the server
// has, and times until newMessages has announced them all.
// sharing is createClient's option (default 'auto': the SDK runs in a
// worker); longTasks are the page's main-thread tasks over 50 ms meanwhile.
async function catchUp({ serverURL, userID, token, dbName, messages, verifyConversationID, verifySeq, sharing }) {
  status.textContent = 'catch-up';
  const longTasks = watchLongTasks();
  const t0 = now();
  const client = await within(60_000, 'createClient', createClient({ serverURL, dbName, sharing }));
  const t1 = now();
  const counted = countMessages(client, messages, 300_000);
  await within(60_000, 'login', client.login({ userID, token }));
  const t2 = now();
  const { count, at } = await counted;
  const out = {
    sharing: sharing ?? 'auto',
    createClientMs: round(t1 - t0),
    loginMs: round(t2 - t1),
    messages: count,
    catchUpMs: round(at - t1),
    messagesPerSecond: Math.round(count / ((at - t1) / 1000)),
    longTasks: longTasks(),
  };
  if (verifyConversationID) {
    // The announced messages are stored: read the newest back.
    const h = await client.getHistoryMessages({ conversationID: verifyConversationID, count: 1 });
    out.verifiedLatestSeq = h.messages.length ? h.messages[h.messages.length - 1].seq : 0;
    if (verifySeq && out.verifiedLatestSeq !== verifySeq) {
      throw new Error(`stored latest seq ${out.verifiedLatestSeq}, want ${verifySeq}`);
    }
  }
  await client.logout();
  return out;
}

// firstList is the app's cold start on a filled store: createClient,
// login, and the first page of the conversation list read from IndexedDB;
// then the whole list. sharing is createClient's option.
async function firstList({ serverURL, userID, token, dbName, count, conversations, sharing }) {
  status.textContent = 'first list';
  const o = await open(serverURL, userID, token, dbName, sharing);
  const t0 = now();
  const page = await within(60_000, 'getConversationList', o.client.getConversationList({ offset: 0, count }));
  const t1 = now();
  const all = await within(60_000, 'getConversationList (all)', o.client.getConversationList({ offset: 0, count: conversations + 10 }));
  const t2 = now();
  const withLatest = page.filter((c) => c.latestMessage).length;
  await o.client.logout();
  const raw = await rawGetAll(`${dbName}_${userID}`, 'conversations');
  return {
    rawIndexedDBGetAllConversationsMs: raw.ms,
    rawIndexedDBConversations: raw.count,
    createClientMs: o.createClientMs,
    loginMs: o.loginMs,
    firstPageMs: round(t1 - t0),
    firstPageSinceLoginStartMs: round(t1 - o.loginStartedAt),
    firstPageCount: page.length,
    firstPageWithLatestMessage: withLatest,
    fullListMs: round(t2 - t1),
    fullListCount: all.length,
  };
}

// rawGetAll reads a whole object store with plain IndexedDB calls from
// JavaScript: the floor under what the SDK's store can do.
function rawGetAll(dbName, storeName) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = indexedDB.open(dbName);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const get = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
      get.onerror = () => reject(get.error);
      get.onsuccess = () => {
        const count = get.result.length;
        db.close();
        resolve({ ms: round(now() - t0), count });
      };
    };
  });
}

window.bench = { wasmLoad, firstSync, catchUp, firstList };
status.textContent = 'ready';
// Navigation start to this line: the page, index.js and this module
// fetched and evaluated, the one line of text rendered (no wasm yet).
window.benchReadyMs = round(now());
