// End-to-end tests of the built parley-sdk package (wasm/dist, served by
// parleyd at /sdk/) in Debian's Chromium, driven by playwright-core, against
// a real parleyd on a free loopback port.
//
//   ./build.sh && cd wasm/e2e && npm ci && node --test
//
// Environment:
//   PARLEYD_BIN   a built parleyd; without it the test builds ./cmd/parleyd
//   PARLEY_ROOT   the repository root (default: two folders up)
//   CHROMIUM_BIN  the browser (default /usr/bin/chromium)
//
// Pages live on parleyd's origin. The test page itself, and /sdk/ while
// parleyd is stopped, are served by playwright from wasm/dist: that stands
// in for the app's service worker, so a page can reload offline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Parleyd, delay, dist, freePort, launchChromium, parleydBinary, root } from './harness.mjs';

// How long one expectation may take: generous, the machine is small and shared.
const WAIT = 30_000;



// ---------- parleyd ----------



// ---------- browser pages ----------

let server;
let browser;
let tmp;
const contexts = [];
const runID = Math.random().toString(36).slice(2, 7);
const uid = (name) => `${name}-${runID}`;

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain' };

/**
 * A page on parleyd's origin with the SDK imported as T.sdk: in a new
 * browser context (a device of its own), or in context (a page of the same
 * device, sharing its IndexedDB).
 */
async function openPage(label, context) {
  if (!context) {
    context = await browser.newContext();
    context.setDefaultTimeout(WAIT);
    contexts.push(context);
  }
  const page = await context.newPage();
  page.label = label;
  page.errors = [];
  page.logs = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  page.on('console', (m) => page.logs.push(`${m.type()}: ${m.text()}`));
  await page.route(`${server.url}/e2e`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>sdk e2e</title>' }),
  );
  // /sdk/ comes from parleyd while it runs, from wasm/dist while it does not.
  await page.route(`${server.url}/sdk/**`, async (route) => {
    try {
      const res = await route.fetch();
      await route.fulfill({ response: res });
    } catch {
      const file = path.join(dist, new URL(route.request().url()).pathname.slice('/sdk/'.length));
      await route.fulfill({ contentType: TYPES[path.extname(file)] || 'application/octet-stream', body: readFileSync(file) });
    }
  });
  await load(page);
  return page;
}

async function load(page) {
  await page.goto(`${server.url}/e2e`);
  await page.evaluate(async () => {
    globalThis.T = { sdk: await import('/sdk/index.js'), clients: {}, events: {}, pending: {} };
  });
}

/**
 * Creates client `name` in the page, records its events in T.events[name]
 * and logs it in. A throwing newMessages handler is registered first: it
 * must not disturb the SDK or the recording handler.
 */
async function loginClient(page, name, userID, token, dbName) {
  await page.evaluate(
    async ({ name, userID, token, dbName }) => {
      const c = await T.sdk.createClient({ serverURL: location.origin, dbName });
      T.clients[name] = c;
      const ev = (T.events[name] = { newMessages: [], states: [], unread: [], convs: 0 });
      c.on('newMessages', () => {
        throw new Error('handler bug (expected by the test)');
      });
      c.on('newMessages', (ms) => ev.newMessages.push(...ms));
      c.on('connectionStateChanged', (e) => ev.states.push(e.state));
      c.on('totalUnreadCountChanged', (n) => ev.unread.push(n));
      c.on('conversationsChanged', (cs) => (ev.convs += cs.length));
      ev.sync = [];
      c.on('syncProgress', (p) => ev.sync.push(p.phase));
      ev.applications = [];
      c.on('groupApplicationReceived', (a) => ev.applications.push(a));
      await c.login({ userID, token });
    },
    { name, userID, token, dbName },
  );
}

/**
 * Waits until fn(arg), evaluated in the page, is truthy. fn may be async:
 * page.waitForFunction would take the Promise it returns as truthy and stop
 * waiting at once, so this polls with page.evaluate, which awaits it.
 */
async function until(page, fn, arg) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT} ms waiting for ${fn}`);
    await delay(50);
  }
}

async function connected(page, name) {
  await until(page, (n) => T.events[n].states.includes('connected'), name);
}

/** Sends text from client name to recvID and returns the resolved message. */
async function send(page, name, recvID, text) {
  return page.evaluate(
    async ({ name, recvID, text }) => {
      const c = T.clients[name];
      const m = await c.createTextMessage(text);
      return c.sendMessage({ message: m, recvID });
    },
    { name, recvID, text },
  );
}

function counts(list) {
  const n = new Map();
  for (const m of list) n.set(m.clientMsgID, (n.get(m.clientMsgID) || 0) + 1);
  return n;
}

function assertOnceEach(messages, what) {
  for (const [id, n] of counts(messages)) assert.equal(n, 1, `${what}: message ${id} announced ${n} times`);
}

const events = (page, name) => page.evaluate((n) => T.events[n], name);

// ---------- the tests ----------

describe('parley-sdk in Chromium against parleyd', () => {
  const alice = uid('alice');
  const bob = uid('bob');
  const carol = uid('carol');
  const dave = uid('dave');
  const convAB = `si_${[alice, bob].sort().join('_')}`;
  let pageA;
  let pageB;
  let tokenB;

  before(async () => {
    if (!existsSync(path.join(dist, 'index.js')) || !existsSync(path.join(dist, 'parley.wasm'))) {
      throw new Error('wasm/dist is incomplete: run ./build.sh first');
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-sdk-e2e-'));
    server = new Parleyd(parleydBinary(tmp), await freePort(), path.join(tmp, 'data'));
    await server.start();
    for (const u of [alice, bob, carol, dave]) await server.user(u, u.split('-')[0]);
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // Print what the pages and the server said when a test fails.
  const diagnose = async (fn) => {
    try {
      await fn();
    } catch (err) {
      for (const p of [pageA, pageB].filter(Boolean)) {
        console.error(`--- ${p.label} console:\n${p.logs.slice(-30).join('\n')}\nerrors: ${p.errors.join('\n')}`);
      }
      if (server) console.error(`--- parleyd:\n${server.tail()}`);
      throw err;
    }
  };

  test('two clients log in, exchange messages and see newMessages once each', () =>
    diagnose(async () => {
      // parleyd serves the package; application/wasm allows streaming compilation.
      const wasm = await fetch(`${server.url}/sdk/parley.wasm`, { method: 'HEAD' });
      assert.equal(wasm.status, 200);
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');

      pageA = await openPage('alice');
      pageB = await openPage('bob');
      await loginClient(pageA, 'a', alice, await server.token(alice));
      tokenB = await server.token(bob);
      await loginClient(pageB, 'b', bob, tokenB);
      await connected(pageA, 'a');
      await connected(pageB, 'b');

      const sent = [];
      for (const text of ['m1', 'm2', 'm3']) sent.push(await send(pageA, 'a', bob, text));
      assert.deepEqual(sent.map((m) => m.status), ['sent', 'sent', 'sent']);
      assert.deepEqual(sent.map((m) => m.seq), [1, 2, 3]);
      for (const m of sent) {
        assert.equal(m.conversationID, convAB);
        assert.ok(m.serverMsgID && m.sendTime > 0, 'sent message has serverMsgID and sendTime');
      }

      await until(pageB, () => T.events.b.newMessages.length >= 3);
      const ev = await events(pageB, 'b');
      assert.deepEqual(ev.newMessages.map((m) => m.text), ['m1', 'm2', 'm3']);
      assert.deepEqual(ev.newMessages.map((m) => m.clientMsgID), sent.map((m) => m.clientMsgID));
      assertOnceEach(ev.newMessages, 'bob');
      assert.ok(ev.newMessages.every((m) => m.status === 'sent' && m.sendID === alice && m.recvID === bob));
      // Own sends from this device are not "new messages".
      assert.equal((await events(pageA, 'a')).newMessages.length, 0);
      // The throwing handler ran before the recorder every time and broke nothing.
      assert.ok(pageB.logs.some((l) => l.includes('handler bug')), 'the throwing handler was reported on the console');
      assert.deepEqual(pageB.errors, []);
    }));

  test('unread counts and markConversationAsRead, on every device of the user', () =>
    diagnose(async () => {
      const r = await pageB.evaluate(async () => {
        const c = T.clients.b;
        return { total: await c.getTotalUnreadCount(), list: await c.getConversationList() };
      });
      assert.equal(r.total, 3);
      assert.ok(Array.isArray(r.list) && r.list.length === 1, 'one conversation');
      assert.equal(r.list[0].conversationID, convAB);
      assert.equal(r.list[0].unreadCount, 3);
      assert.equal(r.list[0].latestMessage.text, 'm3');
      assert.equal(r.list[0].sessionType, 'single');
      assert.equal(r.list[0].userID, alice);
      await until(pageB, () => T.events.b.unread.includes(3));

      // Bob's second device, another browser profile, another platform.
      const pageB2 = await openPage('bob, second device');
      await loginClient(pageB2, 'b2', bob, await server.token(bob, 'desktop'));
      await connected(pageB2, 'b2');
      await until(pageB2, async () => (await T.clients.b2.getTotalUnreadCount()) === 3);

      await pageB.evaluate((id) => T.clients.b.markConversationAsRead({ conversationID: id }), convAB);
      const after = await pageB.evaluate(async () => ({
        total: await T.clients.b.getTotalUnreadCount(),
        list: await T.clients.b.getConversationList(),
      }));
      assert.equal(after.total, 0);
      assert.equal(after.list[0].unreadCount, 0);
      await until(pageB, () => T.events.b.unread.at(-1) === 0);
      await until(pageB2, async () => (await T.clients.b2.getTotalUnreadCount()) === 0);
      await until(pageB2, () => T.events.b2.unread.at(-1) === 0);
      const b2list = await pageB2.evaluate(() => T.clients.b2.getConversationList());
      assert.equal(b2list[0].unreadCount, 0);

      // Bob answers; Alice gets it once, and it is unread for her.
      const reply = await send(pageB, 'b', alice, 'r1');
      assert.equal(reply.seq, 4);
      await until(pageA, () => T.events.a.newMessages.length >= 1);
      await until(pageA, async () => (await T.clients.a.getTotalUnreadCount()) === 1);
      const a = await events(pageA, 'a');
      assert.deepEqual(a.newMessages.map((m) => m.text), ['r1']);
      // Bob's other device sees his own message as coming from another device.
      await until(pageB2, () => T.events.b2.newMessages.some((m) => m.text === 'r1'));
      assertOnceEach((await events(pageB2, 'b2')).newMessages, 'bob second device');
      await pageB2.context().close();
    }));

  test('offline reload serves local data; messages sent meanwhile arrive exactly once', () =>
    diagnose(async () => {
      await server.stop();
      await until(pageA, () => T.events.a.states.at(-1) !== 'connected');

      // Alice sends while the server is away: the sends wait.
      await pageA.evaluate((bob) => {
        const c = T.clients.a;
        T.pending.settled = false;
        T.pending.sends = (async () => {
          const out = [];
          for (const text of ['o1', 'o2']) out.push(c.sendMessage({ message: await c.createTextMessage(text), recvID: bob }));
          return Promise.all(out);
        })();
        T.pending.sends.finally(() => (T.pending.settled = true));
      }, bob);

      // They are stored before they go on the wire: listed as unsent.
      await until(pageA, async (id) => (await T.clients.a.getUnsentMessages({ conversationID: id })).length === 2, convAB);
      const unsent = await pageA.evaluate((id) => T.clients.a.getUnsentMessages({ conversationID: id }), convAB);
      assert.deepEqual(unsent.map((m) => [m.text, m.status, m.seq]), [['o1', 'sending', 0], ['o2', 'sending', 0]]);

      // Bob's page reloads while the server is away; login resolves and
      // local data serves.
      await load(pageB);
      await loginClient(pageB, 'b', bob, tokenB);
      const offline = await pageB.evaluate(async (id) => {
        const c = T.clients.b;
        return {
          user: await c.getLoginUserID(),
          state: await c.getConnectionState(),
          list: await c.getConversationList(),
          history: await c.getHistoryMessages({ conversationID: id, count: 50 }),
          total: await c.getTotalUnreadCount(),
        };
      }, convAB);
      assert.equal(offline.user, bob);
      assert.notEqual(offline.state, 'connected');
      assert.equal(offline.list.length, 1);
      assert.equal(offline.list[0].latestMessage.text, 'r1');
      assert.deepEqual(offline.history.messages.map((m) => m.text), ['m1', 'm2', 'm3', 'r1']);
      assert.deepEqual(offline.history.messages.map((m) => m.seq), [1, 2, 3, 4]);
      assert.equal(offline.history.isEnd, true);
      assert.equal(offline.total, 0);
      assert.equal(await pageA.evaluate(() => T.pending.settled), false, 'sends wait for the server instead of failing');

      await server.start();
      const resolved = await pageA.evaluate(() => T.pending.sends);
      assert.deepEqual(resolved.map((m) => m.status), ['sent', 'sent']);
      assert.deepEqual(resolved.map((m) => m.seq), [5, 6]);
      assert.deepEqual(await pageA.evaluate((id) => T.clients.a.getUnsentMessages({ conversationID: id }), convAB), []);

      await connected(pageB, 'b');
      await until(pageB, () => T.events.b.newMessages.length >= 2);
      const history = await pageB.evaluate(
        (id) => T.clients.b.getHistoryMessages({ conversationID: id, count: 50 }),
        convAB,
      );
      assert.deepEqual(history.messages.map((m) => m.text), ['m1', 'm2', 'm3', 'r1', 'o1', 'o2']);
      assert.deepEqual(history.messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
      const ev = await events(pageB, 'b');
      assert.deepEqual(ev.newMessages.map((m) => m.text), ['o1', 'o2'], 'only the messages sent meanwhile are new');
      assertOnceEach(ev.newMessages, 'bob after reconnect');

      // Alice's own copy: every message once, in seq order.
      const aHist = await pageA.evaluate((id) => T.clients.a.getHistoryMessages({ conversationID: id, count: 50 }), convAB);
      assert.deepEqual(aHist.messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
      assertOnceEach(aHist.messages, 'alice history');
      assertOnceEach((await events(pageA, 'a')).newMessages, 'alice');
    }));

  test('two clients in one page; logout then login as another user without reloading', () =>
    diagnose(async () => {
      const page = await openPage('two clients');
      await loginClient(page, 'x', carol, await server.token(carol), 'appx');
      await loginClient(page, 'y', bob, await server.token(bob, 'android'), 'appy');
      await connected(page, 'x');
      await connected(page, 'y');
      await send(page, 'x', bob, 'from carol');
      await until(page, () => T.events.y.newMessages.some((m) => m.text === 'from carol'));
      assert.equal((await events(page, 'x')).newMessages.length, 0);

      const switched = await page.evaluate(
        async ({ dave, token }) => {
          const x = T.clients.x;
          await x.logout();
          const out = { afterLogout: await x.getLoginUserID() };
          try {
            await x.getConversationList();
          } catch (e) {
            out.code = e.code;
          }
          await x.login({ userID: dave, token });
          out.user = await x.getLoginUserID();
          out.list = await x.getConversationList();
          return out;
        },
        { dave, token: await server.token(dave) },
      );
      assert.equal(switched.afterLogout, '');
      assert.equal(switched.code, 'not_logged_in');
      assert.equal(switched.user, dave);
      assert.deepEqual(switched.list, [], "dave does not see carol's conversations");
      await until(page, () => T.events.x.states.filter((s) => s === 'connected').length >= 2);
      await send(page, 'x', bob, 'from dave');
      await until(page, () => T.events.y.newMessages.some((m) => m.text === 'from dave'));
      assertOnceEach((await events(page, 'y')).newMessages, 'bob in the two-client page');
      assert.deepEqual(page.errors, []);
    }));

  test('kick and close: the removed client learns it, a closed client refuses calls and releases its functions', () =>
    diagnose(async () => {
      const page = await openPage('kick and close');
      await loginClient(page, 'own', alice, await server.token(alice, 'desktop'), 'appown');
      await loginClient(page, 'out', carol, await server.token(carol, 'ios'), 'appout');
      await connected(page, 'own');
      await connected(page, 'out');
      const r = await page.evaluate(
        async ({ carol }) => {
          const own = T.clients.own;
          const out = T.clients.out;
          const removed = new Promise((resolve) => out.on('groupMemberRemoved', resolve));
          const g = await own.createGroup({ name: 'Kick test', memberUserIDs: [carol] });
          // Carol's device holds the group and its conversation before she
          // is removed.
          await own.sendMessage({ message: await own.createTextMessage('welcome'), groupID: g.groupID });
          for (;;) {
            const joined = (await out.getJoinedGroupList()).some((x) => x.groupID === g.groupID);
            const conv = await out.getConversation({ conversationID: `sg_${g.groupID}` }).catch(() => null);
            if (joined && conv && conv.latestMessage) break;
            await new Promise((r) => setTimeout(r, 50));
          }
          await own.kickGroupMember({ groupID: g.groupID, userID: carol });
          const ev = await removed;
          const res = { ev, joined: (await out.getJoinedGroupList()).map((x) => x.groupID) };
          const conv = await out.getConversation({ conversationID: `sg_${g.groupID}` });
          res.removed = conv.removed;
          const m = await out.createTextMessage('still here?');
          try {
            await out.sendMessage({ message: m, groupID: g.groupID });
          } catch (e) {
            res.sendCode = e.code;
          }
          // Close: later calls reject with 'closed', on throws it, an old
          // unsubscribe function is harmless, closing again resolves.
          const off = out.on('newMessages', () => {});
          await out.close();
          try {
            await out.getConversationList();
          } catch (e) {
            res.afterClose = e.code;
          }
          try {
            out.on('newMessages', () => {});
          } catch (e) {
            res.onAfterClose = e.code;
          }
          off();
          await out.close();
          res.groupID = g.groupID;
          return res;
        },
        { carol },
      );
      assert.equal(r.ev.userID, carol);
      assert.equal(r.ev.reason, 'kicked');
      assert.equal(r.ev.operatorUserID, alice);
      assert.equal(r.ev.group.memberCount, 1);
      assert.ok(!r.joined.includes(r.groupID), 'the group left the joined list');
      assert.equal(r.removed, true);
      assert.equal(r.sendCode, 'permission_denied');
      assert.equal(r.afterClose, 'closed');
      assert.equal(r.onAfterClose, 'closed');
      assert.deepEqual(page.errors, []);
      assert.ok(!page.logs.some((l) => l.includes('released function')), 'no call reached a released function');
    }));

  test('runs in a Worker (no window, no document)', () =>
    diagnose(async () => {
      const page = await openPage('worker');
      const before = (await events(pageA, 'a')).newMessages.length;
      const result = await page.evaluate(
        async ({ userID, token, to }) => {
          const src = `
            self.onmessage = async (e) => {
              const { origin, userID, token, to } = e.data;
              try {
                const sdk = await import(origin + '/sdk/index.js');
                const c = await sdk.createClient({ serverURL: origin, dbName: 'worker' });
                const connected = new Promise((resolve) => c.on('connectionStateChanged', (s) => s.state === 'connected' && resolve()));
                await c.login({ userID, token });
                await connected;
                const m = await c.sendMessage({ message: await c.createTextMessage('from a worker'), recvID: to });
                const list = await c.getConversationList();
                self.postMessage({ ok: true, status: m.status, seq: m.seq, conversations: list.length,
                  window: typeof window, document: typeof document });
              } catch (err) {
                self.postMessage({ ok: false, code: err.code, message: String(err && err.message) });
              }
            };`;
          const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
          const reply = new Promise((resolve, reject) => {
            w.onmessage = (e) => resolve(e.data);
            w.onerror = (e) => reject(new Error('worker error: ' + e.message));
          });
          w.postMessage({ origin: location.origin, userID, token, to });
          const r = await reply;
          w.terminate();
          return r;
        },
        { userID: carol, token: await server.token(carol, 'other'), to: alice },
      );
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(result.window, 'undefined');
      assert.equal(result.document, 'undefined');
      assert.equal(result.status, 'sent');
      assert.equal(result.seq, 1);
      await until(pageA, (n) => T.events.a.newMessages.length > n, before);
      const got = (await events(pageA, 'a')).newMessages.slice(before);
      assert.deepEqual(got.map((m) => m.text), ['from a worker']);
    }));

  test('arguments are checked, errors carry codes, results are plain objects', () =>
    diagnose(async () => {
      const page = await openPage('errors');
      const r = await page.evaluate(async () => {
        const out = {};
        const code = async (p) => {
          try {
            await p;
            return 'resolved';
          } catch (e) {
            return { isError: e instanceof Error, code: e.code, message: e.message };
          }
        };
        out.noServer = await code(T.sdk.createClient({}));
        const c = await T.sdk.createClient({ serverURL: location.origin, dbName: 'errs' });
        out.notLoggedIn = await code(c.getTotalUnreadCount());
        out.badUserID = await code(c.login({ userID: 5, token: 't' }));
        out.noToken = await code(c.login({ userID: 'x' }));
        out.notObject = await code(c.login('x'));
        try {
          c.on('newMesages', () => {});
        } catch (e) {
          out.badEvent = { code: e.code, message: e.message };
        }
        try {
          c.on('newMessages', 'not a function');
        } catch (e) {
          out.badHandler = { code: e.code };
        }
        const off = c.on('connectionStateChanged', () => {});
        out.offType = typeof off;
        off();
        off();
        return out;
      });
      assert.equal(r.noServer.code, 'invalid_argument');
      assert.deepEqual(r.notLoggedIn.code, 'not_logged_in');
      assert.ok(r.notLoggedIn.isError);
      assert.equal(r.badUserID.code, 'invalid_argument');
      assert.match(r.badUserID.message, /userID/);
      assert.equal(r.noToken.code, 'invalid_argument');
      assert.match(r.noToken.message, /token/);
      assert.equal(r.notObject.code, 'invalid_argument');
      assert.equal(r.badEvent.code, 'invalid_argument');
      assert.match(r.badEvent.message, /newMesages/);
      assert.equal(r.badHandler.code, 'invalid_argument');
      assert.equal(r.offType, 'function');

      const more = await page.evaluate(async (userID) => {
        const c = await T.sdk.createClient({ serverURL: location.origin, dbName: 'errs2' });
        const states = [];
        c.on('connectionStateChanged', (e) => states.push(e.state));
        T.states = states;
        await c.login({ userID, token: 'not-a-valid-token' });
        const out = {};
        try {
          await c.getHistoryMessages({ conversationID: 'si_a_b' });
        } catch (e) {
          out.noCount = { code: e.code, message: e.message };
        }
        try {
          await c.sendMessage({ message: 'hi', recvID: 'bob' });
        } catch (e) {
          out.badMessage = { code: e.code, message: e.message };
        }
        const m = await c.createTextMessage('hello');
        out.created = m;
        out.listIsArray = Array.isArray(await c.getConversationList());
        return out;
      }, carol);
      assert.equal(more.noCount.code, 'invalid_argument');
      assert.match(more.noCount.message, /count/);
      assert.equal(more.badMessage.code, 'invalid_argument');
      assert.match(more.badMessage.message, /message/);
      assert.equal(typeof more.created, 'object');
      assert.equal(more.created.status, 'created');
      assert.ok(more.created.clientMsgID, 'created message has a clientMsgID');
      assert.equal(more.listIsArray, true);
      // A refused token: the SDK learns it (the browser transport repeats the
      // handshake as a fetch to see the 401) and stops with tokenExpired.
      await until(page, () => T.states.includes('tokenExpired'));
    }));

  test('messageStatusChanged: sending then sent; a refused message sending then failed, once per attempt', () =>
    diagnose(async () => {
      const sender = uid('sender');
      const receiver = uid('receiver');
      await server.user(sender, 'sender');
      await server.user(receiver, 'receiver');
      const page = await openPage('message status');
      await loginClient(page, 's', sender, await server.token(sender), 'appstatus');
      await connected(page, 's');
      await page.evaluate(() => {
        T.statuses = [];
        T.clients.s.on('messageStatusChanged', (m) => T.statuses.push(m));
      });
      const statusesOf = (id) => page.evaluate((id) => T.statuses.filter((m) => m.clientMsgID === id), id);

      const sent = await send(page, 's', receiver, 'status check');
      await until(page, (id) => T.statuses.some((m) => m.clientMsgID === id && m.status === 'sent'), sent.clientMsgID);

      // To a user the server does not know: the server refuses it, twice.
      const nobody = uid('nobody');
      const refused = await page.evaluate(async (to) => {
        const c = T.clients.s;
        const m = await c.createTextMessage('to nobody');
        const codes = [];
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            await c.sendMessage({ message: m, recvID: to });
            codes.push('resolved');
          } catch (e) {
            codes.push(e.code);
          }
        }
        return { clientMsgID: m.clientMsgID, codes };
      }, nobody);
      assert.deepEqual(refused.codes, ['not_found', 'not_found']);

      // Events come in order: once the next message's sent is here, every
      // event of the earlier ones has been delivered, extra ones included.
      const next = await send(page, 's', receiver, 'after the refusal');
      await until(page, (id) => T.statuses.some((m) => m.clientMsgID === id && m.status === 'sent'), next.clientMsgID);

      const ok = await statusesOf(sent.clientMsgID);
      assert.deepEqual(ok.map((m) => m.status), ['sending', 'sent']);
      assert.equal(ok[0].seq, 0);
      assert.equal(ok[0].text, 'status check');
      assert.equal(ok[0].conversationID, sent.conversationID, 'the sending message is stored with its conversation');
      assert.deepEqual(ok[1], sent, 'the sent event carries the message as sendMessage resolved it');

      const bad = await statusesOf(refused.clientMsgID);
      assert.deepEqual(bad.map((m) => m.status), ['sending', 'failed', 'sending', 'failed']);
      for (const m of bad.filter((m) => m.status === 'failed')) {
        assert.equal(m.errorCode, 'not_found');
        assert.equal(m.seq, 0);
      }
      // The failed message is kept for a retry, listed as unsent.
      const convNobody = `si_${[sender, nobody].sort().join('_')}`;
      const unsent = await page.evaluate((id) => T.clients.s.getUnsentMessages({ conversationID: id }), convNobody);
      assert.deepEqual(unsent.map((m) => [m.clientMsgID, m.status]), [[refused.clientMsgID, 'failed']]);
      const unsentOk = await page.evaluate((id) => T.clients.s.getUnsentMessages({ conversationID: id }), sent.conversationID);
      assert.deepEqual(unsentOk, []);

      assert.deepEqual((await statusesOf(next.clientMsgID)).map((m) => m.status), ['sending', 'sent']);
      assert.deepEqual(page.errors, []);
    }));

  test("the browser's offline and online events move the connection state at once", () =>
    diagnose(async () => {
      const user = uid('netuser');
      await server.user(user, 'net');
      const page = await openPage('network signal');
      await loginClient(page, 'n', user, await server.token(user), 'appnet');
      await connected(page, 'n');
      const states = () => page.evaluate(() => T.events.n.states.slice());
      // Without the signal the state would follow only a missed ping,
      // 25 s and more later: 8 s is far below that and far above a
      // loaded machine's event delivery.
      const soon = async (want) => {
        const deadline = Date.now() + 8_000;
        while ((await states()).at(-1) !== want) {
          if (Date.now() > deadline) throw new Error(`state not ${want} within 8 s: ${await states()}`);
          await delay(50);
        }
      };
      await page.context().setOffline(true);
      await soon('disconnected');
      assert.equal(await page.evaluate(() => T.clients.n.getConnectionState()), 'disconnected');
      await page.context().setOffline(false);
      await soon('connected');
      assert.deepEqual(page.errors, []);
    }));

  // ---------- changes to stored messages (issue 13) ----------

  test('revoke and edit reach the peer live and a device that was offline meanwhile; the revoked text leaves IndexedDB', () =>
    diagnose(async () => {
      const ed = uid('editor');
      const rd = uid('reader');
      for (const u of [ed, rd]) await server.user(u, u.split('-')[0]);
      const conv = `si_${[ed, rd].sort().join('_')}`;
      const pe = await openPage('editor');
      const pr = await openPage('reader');
      const pr2 = await openPage('reader, offline device');
      await loginClient(pe, 'e', ed, await server.token(ed), 'apped');
      await loginClient(pr, 'r', rd, await server.token(rd), 'apprd');
      await loginClient(pr2, 'r2', rd, await server.token(rd, 'desktop'), 'apprd2');
      for (const [p, n] of [[pe, 'e'], [pr, 'r'], [pr2, 'r2']]) {
        await connected(p, n);
        await p.evaluate((n) => {
          T.events[n].changed = [];
          T.clients[n].on('messagesChanged', (ms) => T.events[n].changed.push(...ms));
        }, n);
      }
      const secret = await send(pe, 'e', rd, 'the secret plan');
      const typo = await send(pe, 'e', rd, 'a tpyo');
      for (const [p, n] of [[pr, 'r'], [pr2, 'r2']]) await until(p, (n) => T.events[n].newMessages.length >= 2, n);

      // The reader's second device goes offline; the editor edits and revokes.
      await pr2.context().setOffline(true);
      await until(pr2, () => T.events.r2.states.at(-1) === 'disconnected');
      const edited = await pe.evaluate(
        ({ conv, id }) => T.clients.e.editMessage({ conversationID: conv, clientMsgID: id, text: 'a typo' }),
        { conv, id: typo.clientMsgID },
      );
      assert.equal(edited.text, 'a typo');
      assert.ok(edited.editTime > 0 && edited.version > 0, 'edited message has editTime and version');
      const revoked = await pe.evaluate(
        ({ conv, id }) => T.clients.e.revokeMessage({ conversationID: conv, clientMsgID: id }),
        { conv, id: secret.clientMsgID },
      );
      assert.equal(revoked, undefined);

      // Live on the reader's online device, each change once.
      await until(pr, () => T.events.r.changed.length >= 2);
      const live = await events(pr, 'r');
      assert.deepEqual(live.changed.map((m) => [m.clientMsgID, m.contentType, m.text]), [
        [typo.clientMsgID, 'text', 'a typo'],
        [secret.clientMsgID, 'revoked', ''],
      ]);
      assert.equal(live.changed[1].content.revokerUserID, ed);
      assert.ok(live.changed[1].content.revokeTime > 0);
      assert.equal(live.newMessages.length, 2, 'changes are not new messages');

      // The offline device catches up when it is back, each change once.
      assert.equal((await events(pr2, 'r2')).changed.length, 0);
      await pr2.context().setOffline(false);
      await until(pr2, () => T.events.r2.changed.length >= 2);
      const hist = await pr2.evaluate((conv) => T.clients.r2.getHistoryMessages({ conversationID: conv, count: 10 }), conv);
      assert.deepEqual(hist.messages.map((m) => [m.contentType, m.text]), [['revoked', ''], ['text', 'a typo']]);
      const list = await pr2.evaluate(() => T.clients.r2.getConversationList());
      assert.equal(list[0].latestMessage.text, 'a typo');
      assertOnceEach((await events(pr2, 'r2')).changed, 'offline device');

      // Nothing of the revoked text is left in any IndexedDB database of
      // the reader's pages, nor the text before the edit.
      for (const p of [pr, pr2]) {
        const found = await p.evaluate(async () => {
          const hits = [];
          for (const { name } of await indexedDB.databases()) {
            const db = await new Promise((ok, fail) => {
              const r = indexedDB.open(name);
              r.onsuccess = () => ok(r.result);
              r.onerror = () => fail(r.error);
            });
            for (const store of db.objectStoreNames) {
              const all = await new Promise((ok, fail) => {
                const r = db.transaction(store).objectStore(store).getAll();
                r.onsuccess = () => ok(r.result);
                r.onerror = () => fail(r.error);
              });
              const text = JSON.stringify(all);
              if (text.includes('secret plan') || text.includes('tpyo')) hits.push(`${name}/${store}`);
            }
            db.close();
          }
          return hits;
        });
        assert.deepEqual(found, [], `${p.label}: old content left in IndexedDB`);
      }

      // Refusals carry codes.
      const refused = await pr.evaluate(
        async ({ conv, id }) => {
          const codes = [];
          for (const call of [
            () => T.clients.r.editMessage({ conversationID: conv, clientMsgID: id, text: 'mine now' }),
            () => T.clients.r.revokeMessage({ conversationID: conv, clientMsgID: id }),
            () => T.clients.r.editMessage({ conversationID: conv, clientMsgID: id }),
          ]) {
            try {
              await call();
              codes.push('resolved');
            } catch (e) {
              codes.push(e.code);
            }
          }
          return codes;
        },
        { conv, id: typo.clientMsgID },
      );
      assert.deepEqual(refused, ['permission_denied', 'permission_denied', 'invalid_argument']);
      for (const p of [pe, pr, pr2]) assert.deepEqual(p.errors, []);
      for (const p of [pe, pr, pr2]) await p.context().close();
    }));

  test('delete for me and clear history reach every device of the user, one offline meanwhile; the peer keeps hers', () =>
    diagnose(async () => {
      const al = uid('keeper');
      const bo = uid('deleter');
      for (const u of [al, bo]) await server.user(u, u.split('-')[0]);
      const conv = `si_${[al, bo].sort().join('_')}`;
      const pa = await openPage('keeper');
      const pb = await openPage('deleter');
      const pb2 = await openPage('deleter, offline device');
      await loginClient(pa, 'k', al, await server.token(al), 'appk');
      await loginClient(pb, 'd', bo, await server.token(bo), 'appd');
      await loginClient(pb2, 'd2', bo, await server.token(bo, 'desktop'), 'appd2');
      for (const [p, n] of [[pa, 'k'], [pb, 'd'], [pb2, 'd2']]) {
        await connected(p, n);
        await p.evaluate((n) => {
          T.events[n].changed = [];
          T.clients[n].on('messagesChanged', (ms) => T.events[n].changed.push(...ms));
        }, n);
      }
      const sent = [];
      for (const text of ['one', 'a private thing', 'three']) sent.push(await send(pa, 'k', bo, text));
      for (const [p, n] of [[pb, 'd'], [pb2, 'd2']]) await until(p, (n) => T.events[n].newMessages.length >= 3, n);
      const texts = (p, n) =>
        p.evaluate(
          async ({ n, conv }) => (await T.clients[n].getHistoryMessages({ conversationID: conv, count: 20 })).messages.map((m) => m.text),
          { n, conv },
        );

      await pb2.context().setOffline(true);
      await until(pb2, () => T.events.d2.states.at(-1) === 'disconnected');
      await pb.evaluate(({ conv, id }) => T.clients.d.deleteMessage({ conversationID: conv, clientMsgID: id }), { conv, id: sent[1].clientMsgID });
      assert.deepEqual(await texts(pb, 'd'), ['one', 'three']);
      await until(pb, () => T.events.d.changed.some((m) => m.deleted));
      const ev = (await events(pb, 'd')).changed.find((m) => m.deleted);
      assert.equal(ev.clientMsgID, sent[1].clientMsgID);
      assert.equal(ev.text, '');
      assert.deepEqual(await texts(pa, 'k'), ['one', 'a private thing', 'three'], 'the peer keeps hers');

      await pb2.context().setOffline(false);
      await until(pb2, () => T.events.d2.changed.some((m) => m.deleted));
      assert.deepEqual(await texts(pb2, 'd2'), ['one', 'three']);

      // Clear, again with the second device offline.
      await pb2.context().setOffline(true);
      await until(pb2, () => T.events.d2.states.at(-1) === 'disconnected');
      await pb.evaluate((conv) => T.clients.d.clearConversationMessages({ conversationID: conv }), conv);
      assert.deepEqual(await texts(pb, 'd'), []);
      const list = await pb.evaluate(() => T.clients.d.getConversationList());
      assert.equal(list.find((c) => c.conversationID === conv).latestMessage, null);
      await pb2.context().setOffline(false);
      await until(pb2, async (conv) => (await T.clients.d2.getHistoryMessages({ conversationID: conv, count: 20 })).messages.length === 0, conv);
      assert.equal((await texts(pa, 'k')).length, 3, 'the peer keeps hers');

      // Nothing of the deleted or cleared text is left in the deleter's IndexedDB.
      for (const p of [pb, pb2]) {
        const found = await p.evaluate(async () => {
          const hits = [];
          for (const { name } of await indexedDB.databases()) {
            const db = await new Promise((ok, fail) => {
              const r = indexedDB.open(name);
              r.onsuccess = () => ok(r.result);
              r.onerror = () => fail(r.error);
            });
            for (const store of db.objectStoreNames) {
              const all = await new Promise((ok, fail) => {
                const r = db.transaction(store).objectStore(store).getAll();
                r.onsuccess = () => ok(r.result);
                r.onerror = () => fail(r.error);
              });
              const text = JSON.stringify(all);
              if (text.includes('private thing') || text.includes('"three')) hits.push(`${name}/${store}`);
            }
            db.close();
          }
          return hits;
        });
        assert.deepEqual(found, [], `${p.label}: content left in IndexedDB`);
      }

      // A message after the clear arrives as usual.
      await send(pa, 'k', bo, 'after');
      await until(pb2, async (conv) => (await T.clients.d2.getHistoryMessages({ conversationID: conv, count: 20 })).messages.length === 1, conv);
      assert.deepEqual(await texts(pb2, 'd2'), ['after']);
      for (const p of [pa, pb, pb2]) assert.deepEqual(p.errors, []);
      for (const p of [pa, pb, pb2]) await p.context().close();
    }));

  test('a pin reaches the peer live and after being offline; getPinnedMessages answers online and offline', () =>
    diagnose(async () => {
      const p1 = uid('pinner');
      const p2 = uid('viewer');
      for (const u of [p1, p2]) await server.user(u, u.split('-')[0]);
      const conv = `si_${[p1, p2].sort().join('_')}`;
      const pa = await openPage('pinner');
      const pb = await openPage('viewer');
      await loginClient(pa, 'p', p1, await server.token(p1), 'appp');
      await loginClient(pb, 'v', p2, await server.token(p2), 'appv');
      for (const [p, n] of [[pa, 'p'], [pb, 'v']]) {
        await connected(p, n);
        await p.evaluate((n) => {
          T.events[n].changed = [];
          T.clients[n].on('messagesChanged', (ms) => T.events[n].changed.push(...ms));
        }, n);
      }
      const m = await send(pa, 'p', p2, 'pin me');
      await until(pb, () => T.events.v.newMessages.length >= 1);
      await pb.context().setOffline(true);
      await until(pb, () => T.events.v.states.at(-1) === 'disconnected');
      await pa.evaluate(({ conv, id }) => T.clients.p.pinMessage({ conversationID: conv, clientMsgID: id }), { conv, id: m.clientMsgID });
      const own = await pa.evaluate((conv) => T.clients.p.getPinnedMessages({ conversationID: conv }), conv);
      assert.deepEqual(own.map((x) => [x.text, x.isPinned, x.pinnedBy]), [['pin me', true, p1]]);
      await pb.context().setOffline(false);
      await until(pb, () => T.events.v.changed.some((x) => x.isPinned));
      await pb.context().setOffline(true);
      await until(pb, () => T.events.v.states.at(-1) === 'disconnected');
      const offline = await pb.evaluate((conv) => T.clients.v.getPinnedMessages({ conversationID: conv }), conv);
      assert.deepEqual(offline.map((x) => [x.text, x.isPinned]), [['pin me', true]], 'offline, from IndexedDB');
      await pb.context().setOffline(false);
      await pa.evaluate(({ conv, id }) => T.clients.p.pinMessage({ conversationID: conv, clientMsgID: id, isPinned: false }), { conv, id: m.clientMsgID });
      await until(pb, () => T.events.v.changed.some((x) => x.clientMsgID && !x.isPinned && x.version > 1));
      assert.deepEqual(await pb.evaluate((conv) => T.clients.v.getPinnedMessages({ conversationID: conv }), conv), []);
      for (const p of [pa, pb]) assert.deepEqual(p.errors, []);
      for (const p of [pa, pb]) await p.context().close();
    }));

  test('the friend lifecycle between devices: a request fires once, refused, accepted, remarked, deleted, one device away each time', () =>
    diagnose(async () => {
      const erin = uid('erin');
      const frank = uid('frank');
      for (const u of [erin, frank]) await server.user(u, u.split('-')[0]);
      // Erin on two devices (browser contexts with their own IndexedDB), Frank on one.
      const e1 = await openPage('erin laptop');
      const e2 = await openPage('erin desktop');
      const f = await openPage('frank');
      const record = (page, name) =>
        page.evaluate((name) => {
          const ev = T.events[name];
          Object.assign(ev, { received: [], refused: [], added: [], deleted: [], info: [] });
          const c = T.clients[name];
          c.on('friendRequestReceived', (r) => ev.received.push(r));
          c.on('friendRequestRefused', (r) => ev.refused.push(r));
          c.on('friendAdded', (u) => ev.added.push(u));
          c.on('friendDeleted', (d) => ev.deleted.push(d));
          c.on('friendInfoChanged', (u) => ev.info.push(u));
        }, name);
      await loginClient(e1, 'e1', erin, await server.token(erin, 'web'), 'erin1');
      await loginClient(e2, 'e2', erin, await server.token(erin, 'desktop'), 'erin2');
      await loginClient(f, 'f', frank, await server.token(frank), 'frank');
      for (const [p, n] of [[e1, 'e1'], [e2, 'e2'], [f, 'f']]) {
        await record(p, n);
        await connected(p, n);
        // The first catch-up lists what exists without announcing it: act after it.
        await until(p, (n) => T.events[n].sync.includes('finish'), n);
      }
      const away = async () => {
        await e2.context().setOffline(true);
        await until(e2, () => T.events.e2.states.at(-1) === 'disconnected');
      };
      const back = async () => {
        const n = await e2.evaluate(() => T.events.e2.states.length);
        await e2.context().setOffline(false);
        await until(e2, (n) => T.events.e2.states.slice(n).includes('connected'), n);
      };
      const call = (page, name, method, arg) =>
        page.evaluate(({ name, method, arg }) => T.clients[name][method](arg), { name, method, arg });

      // A request, asked twice: Frank hears of it once.
      await call(e1, 'e1', 'addFriend', { userID: frank, message: 'hi frank' });
      await call(e1, 'e1', 'addFriend', { userID: frank, message: 'hi frank' });
      await until(f, () => T.events.f.received.length >= 1);
      assert.equal(await call(f, 'f', 'getFriendRequestUnhandledCount'), 1);
      const fr = await call(f, 'f', 'getFriendRequests');
      assert.deepEqual(fr.map((r) => [r.fromUserID, r.toUserID, r.state, r.message, r.handleTime]), [[erin, frank, 'pending', 'hi frank', 0]]);

      // Refused while Erin's desktop is away; it learns of it when back.
      await away();
      await call(f, 'f', 'refuseFriendRequest', { userID: erin });
      await until(e1, () => T.events.e1.refused.length === 1);
      assert.deepEqual(await e1.evaluate(() => T.events.e1.refused), [{ userID: frank }]);
      assert.equal(await call(f, 'f', 'getFriendRequestUnhandledCount'), 0);
      await back();
      await until(e2, () => T.events.e2.refused.length === 1);
      const e2reqs = await call(e2, 'e2', 'getFriendRequests');
      assert.equal(e2reqs.length, 1);
      assert.equal(e2reqs[0].state, 'refused');
      assert.ok(e2reqs[0].handleTime > 0);

      // Asked again and accepted: both of Erin's devices have Frank.
      await call(e1, 'e1', 'addFriend', { userID: frank, message: 'please' });
      await until(f, () => T.events.f.received.length >= 2);
      await call(f, 'f', 'acceptFriendRequest', { userID: erin });
      await until(e2, (frank) => T.events.e2.added.some((u) => u.userID === frank), frank);

      // A remark set on the laptop while the desktop is away.
      await away();
      await call(e1, 'e1', 'setFriendRemark', { userID: frank, remark: 'Franky' });
      assert.deepEqual((await call(e1, 'e1', 'getFriendList')).map((u) => [u.userID, u.remark]), [[frank, 'Franky']]);
      await back();
      await until(e2, () => T.events.e2.info.some((u) => u.remark === 'Franky'));
      assert.deepEqual((await call(e2, 'e2', 'getFriendList')).map((u) => [u.userID, u.remark]), [[frank, 'Franky']]);
      assert.equal((await call(f, 'f', 'getFriendList'))[0].remark, undefined, "Erin's remark is hers");

      // Deleted by Frank while the desktop is away.
      await away();
      await call(f, 'f', 'deleteFriend', { userID: erin });
      await until(e1, () => T.events.e1.deleted.length === 1);
      await until(f, () => T.events.f.deleted.length === 1);
      assert.deepEqual(await f.evaluate(() => T.events.f.deleted), [{ userID: erin }]);
      await back();
      await until(e2, () => T.events.e2.deleted.length === 1);
      assert.deepEqual(await e2.evaluate(() => T.events.e2.deleted), [{ userID: frank }]);
      assert.deepEqual(await call(e2, 'e2', 'getFriendList'), []);
      // Offline, the stored requests still serve.
      await away();
      assert.deepEqual((await call(e2, 'e2', 'getFriendRequests')).map((r) => r.state), ['accepted']);
      const err = await f.evaluate(async (erin) => {
        try {
          await T.clients.f.deleteFriend({ userID: erin });
          return null;
        } catch (e) {
          return e.code;
        }
      }, erin);
      assert.equal(err, 'not_found');
      for (const p of [e1, e2, f]) assert.deepEqual(p.errors, []);
    }));

  test('the blacklist between devices: stored, enforced, announced once, reaching a device that was away', () =>
    diagnose(async () => {
      const gina = uid('gina');
      const hugo = uid('hugo');
      for (const u of [gina, hugo]) await server.user(u, u.split('-')[0]);
      const g1 = await openPage('gina laptop');
      const g2 = await openPage('gina desktop');
      const h = await openPage('hugo');
      await loginClient(g1, 'g1', gina, await server.token(gina, 'web'), 'gina1');
      await loginClient(g2, 'g2', gina, await server.token(gina, 'desktop'), 'gina2');
      await loginClient(h, 'h', hugo, await server.token(hugo), 'hugo');
      for (const [p, n] of [[g1, 'g1'], [g2, 'g2'], [h, 'h']]) {
        await p.evaluate((n) => {
          T.events[n].black = [];
          T.clients[n].on('blackListChanged', (us) => T.events[n].black.push(us.map((u) => u.userID)));
        }, n);
        await connected(p, n);
        await until(p, (n) => T.events[n].sync.includes('finish'), n);
      }
      const call = (page, name, method, arg) =>
        page.evaluate(({ name, method, arg }) => T.clients[name][method](arg), { name, method, arg });

      await g2.context().setOffline(true);
      await until(g2, () => T.events.g2.states.at(-1) === 'disconnected');
      await call(g1, 'g1', 'addBlack', { userID: hugo });
      const list = await call(g1, 'g1', 'getBlackList');
      assert.deepEqual(list.map((u) => [u.userID, u.nickname]), [[hugo, 'hugo']]);
      // Hugo's message and request are refused.
      const codes = await h.evaluate(async (gina) => {
        const c = T.clients.h;
        const out = [];
        for (const f of [
          async () => c.sendMessage({ message: await c.createTextMessage('hello?'), recvID: gina }),
          () => c.addFriend({ userID: gina }),
        ]) {
          try {
            await f();
            out.push('ok');
          } catch (e) {
            out.push(e.code);
          }
        }
        return out;
      }, gina);
      assert.deepEqual(codes, ['permission_denied', 'permission_denied']);

      await g2.context().setOffline(false);
      await until(g2, () => T.events.g2.black.length >= 1);
      assert.deepEqual(await g2.evaluate(() => T.events.g2.black), [[hugo]]);
      await g2.context().setOffline(true);
      await until(g2, () => T.events.g2.states.at(-1) === 'disconnected');
      assert.deepEqual((await call(g2, 'g2', 'getBlackList')).map((u) => u.userID), [hugo], 'stored: readable offline');
      await g2.context().setOffline(false);
      await connected(g2, 'g2');

      await call(g1, 'g1', 'removeBlack', { userID: hugo });
      await until(g2, () => T.events.g2.black.length >= 2);
      assert.deepEqual(await g2.evaluate(() => T.events.g2.black), [[hugo], []]);
      assert.deepEqual(await g1.evaluate(() => T.events.g1.black), [[hugo], []], 'once per change on the device that made it');
      await call(h, 'h', 'addFriend', { userID: gina });
      for (const p of [g1, g2, h]) assert.deepEqual(p.errors, []);
    }));

  test("a profile change with ex reaches a friend's devices live and after being away, once each", () =>
    diagnose(async () => {
      const ivy = uid('ivy');
      const jack = uid('jack');
      for (const u of [ivy, jack]) await server.user(u, u.split('-')[0]);
      const i = await openPage('ivy');
      const j1 = await openPage('jack laptop');
      const j2 = await openPage('jack desktop');
      await loginClient(i, 'i', ivy, await server.token(ivy), 'ivy');
      await loginClient(j1, 'j1', jack, await server.token(jack, 'web'), 'jack1');
      await loginClient(j2, 'j2', jack, await server.token(jack, 'desktop'), 'jack2');
      for (const [p, n] of [[i, 'i'], [j1, 'j1'], [j2, 'j2']]) {
        await p.evaluate((n) => {
          T.events[n].users = [];
          T.clients[n].on('usersInfoChanged', (us) => T.events[n].users.push(...us));
        }, n);
        await connected(p, n);
        await until(p, (n) => T.events[n].sync.includes('finish'), n);
      }
      await i.evaluate((jack) => T.clients.i.addFriend({ userID: jack }), jack);
      await until(j1, async () => (await T.clients.j1.getFriendRequestUnhandledCount()) === 1);
      await j1.evaluate((ivy) => T.clients.j1.acceptFriendRequest({ userID: ivy }), ivy);
      await until(j2, async (ivy) => (await T.clients.j2.getFriendList()).some((u) => u.userID === ivy), ivy);
      await j2.context().setOffline(true);
      await until(j2, () => T.events.j2.states.at(-1) === 'disconnected');
      const me = await i.evaluate(() => T.clients.i.setSelfInfo({ nickname: 'Ivy Q.', ex: '{"team":"blue"}' }));
      assert.deepEqual([me.nickname, me.ex], ['Ivy Q.', '{"team":"blue"}']);
      const renamed = (n) => T.events[n].users.filter((u) => u.nickname === 'Ivy Q.').length;
      await until(j1, renamed, 'j1');
      await j2.context().setOffline(false);
      await until(j2, renamed, 'j2');
      const seen = await j2.evaluate((ivy) => T.clients.j2.getUsersInfo({ userIDs: [ivy] }), ivy);
      assert.deepEqual(seen.map((u) => [u.nickname, u.ex]), [['Ivy Q.', '{"team":"blue"}']]);
      assert.equal(await j1.evaluate(renamed, 'j1'), 1, 'once, live');
      assert.equal(await j2.evaluate(renamed, 'j2'), 1, 'once, after being away');
      assert.equal(await i.evaluate(renamed, 'i'), 1, "once on the user's own device");
      // Found by the new name, and no more once Ivy opts out of search.
      const found = await j1.evaluate(() => T.clients.j1.searchUsers({ keyword: 'ivy q' }));
      assert.deepEqual(found.map((u) => u.userID), [ivy]);
      await i.evaluate(() => T.clients.i.setSelfInfo({ searchable: false }));
      assert.deepEqual(await j1.evaluate(() => T.clients.j1.searchUsers({ keyword: 'ivy q' })), []);
      for (const p of [i, j1, j2]) assert.deepEqual(p.errors, []);
    }));

  // A member's device away while the owner changes the group, in each way
  // a device goes away: its only page closed, logged out, or offline.
  for (const away of ['page closed', 'logged out', 'offline']) {
    test(`group administration while a member's device is away (${away}): back, it shows the group as it is now, its timeline tells each change in order, and IndexedDB serves it all offline`, () =>
      diagnose(async () => {
        const tag = away.split(' ')[0];
        const [olga, max, kim, tess, una] = ['olga', 'max', 'kim', 'tess', 'una'].map((n) => uid(`${n}${tag}`));
        for (const u of [olga, max, kim, tess, una]) await server.user(u, u.split('-')[0]);
        const o = await openPage(`olga (${away})`);
        let m = await openPage(`max (${away})`);
        await loginClient(o, 'o', olga, await server.token(olga), 'olga');
        const maxToken = await server.token(max);
        await loginClient(m, 'm', max, maxToken, 'max');
        for (const [p, n] of [[o, 'o'], [m, 'm']]) {
          await connected(p, n);
          await until(p, (n) => T.events[n].sync.includes('finish'), n);
        }
        const call = (page, name, method, arg) =>
          page.evaluate(({ name, method, arg }) => T.clients[name][method](arg), { name, method, arg });
        const g = await call(o, 'o', 'createGroup', { name: 'Rowing', memberUserIDs: [max, kim] });
        const conv = `sg_${g.groupID}`;
        await until(m, async (id) => (await T.clients.m.getGroupMembers({ groupID: id })).length === 3, g.groupID);
        const kindsOf = (msgs) => msgs.filter((x) => x.contentType === 'notification').map((x) => x.content.kind);
        const history = (page, name) =>
          page.evaluate(async ({ name, conv }) => (await T.clients[name].getHistoryMessages({ conversationID: conv, count: 100 })).messages, { name, conv });
        const before = kindsOf(await history(m, 'm'));
        const online = async () => (await call(o, 'o', 'subscribeUsersStatus', { userIDs: [max] }))[0].online;
        assert.equal(await online(), true);

        // Max goes away: no instance of his hears anything meanwhile.
        if (away === 'offline') {
          await m.context().setOffline(true);
          await until(m, () => T.events.m.states.at(-1) === 'disconnected');
        } else {
          if (away === 'page closed') await m.close();
          else await call(m, 'm', 'logout');
          const deadline = Date.now() + WAIT;
          while (await online()) {
            if (Date.now() > deadline) throw new Error('max is still online');
            await delay(50);
          }
        }

        // Meanwhile Olga changes the group, and Una applies to join it.
        const info = await call(o, 'o', 'setGroupInfo', { groupID: g.groupID, name: 'Rowing Club', notification: 'Training at 6', joinPolicy: 'approval' });
        assert.deepEqual([info.name, info.notification, info.joinPolicy], ['Rowing Club', 'Training at 6', 'approval']);
        await call(o, 'o', 'setGroupMemberRole', { groupID: g.groupID, userID: max, role: 'admin' });
        await call(o, 'o', 'muteGroupMember', { groupID: g.groupID, userID: kim, seconds: 600 });
        await call(o, 'o', 'inviteUserToGroup', { groupID: g.groupID, userIDs: [tess] });
        await call(o, 'o', 'kickGroupMember', { groupID: g.groupID, userID: kim });
        await call(o, 'o', 'transferGroupOwner', { groupID: g.groupID, newOwnerUserID: max });
        const u = await openPage(`una (${away})`);
        await loginClient(u, 'u', una, await server.token(una), 'una');
        await call(u, 'u', 'joinGroup', { groupID: g.groupID, message: 'room for one more?' });
        const changes = ['infoChanged', 'roleChanged', 'muted', 'memberAdded', 'memberRemoved', 'ownerTransferred'];
        await until(o, async ({ conv, n }) => {
          const h = (await T.clients.o.getHistoryMessages({ conversationID: conv, count: 100 })).messages;
          return h.filter((x) => x.contentType === 'notification').length >= n;
        }, { conv, n: before.length + changes.length });
        const truth = await history(o, 'o');
        assert.deepEqual(kindsOf(truth), [...before, ...changes], "the owner's timeline");

        // What Max's device must show once back, and later offline.
        const want = {
          group: { name: 'Rowing Club', notification: 'Training at 6', joinPolicy: 'approval', ownerUserID: max, myRole: 'owner', memberCount: 3 },
          members: [[max, 'owner'], [olga, 'member'], [tess, 'member']],
          kinds: [...before, ...changes],
          seqs: truth.map((x) => x.seq),
          applications: [[una, 'pending', 'room for one more?']],
          unhandled: 1,
        };
        const view = (page, name) =>
          page.evaluate(
            async ({ name, id, conv }) => {
              const c = T.clients[name];
              const [g] = (await c.getJoinedGroupList()).filter((g) => g.groupID === id);
              const [gi] = await c.getGroupsInfo({ groupIDs: [id] });
              const members = await c.getGroupMembers({ groupID: id });
              const h = (await c.getHistoryMessages({ conversationID: conv, count: 100 })).messages;
              const apps = (await c.getGroupApplications()).filter((a) => a.groupID === id);
              const pick = (g) =>
                g && { name: g.name, notification: g.notification, joinPolicy: g.joinPolicy, ownerUserID: g.ownerUserID, myRole: g.myRole, memberCount: g.memberCount };
              return {
                group: pick(g),
                info: pick(gi),
                members: members.map((x) => [x.userID, x.role]),
                kinds: h.filter((x) => x.contentType === 'notification').map((x) => x.content.kind),
                seqs: h.map((x) => x.seq),
                notices: h.filter((x) => x.contentType === 'notification').map((x) => x.content),
                applications: apps.map((a) => [a.userID, a.state, a.message]),
                unhandled: await c.getGroupApplicationUnhandledCount(),
              };
            },
            { name, id: g.groupID, conv },
          );
        const sameAsWanted = (v, what) => {
          assert.deepEqual(v.group, want.group, `${what}: getJoinedGroupList`);
          assert.deepEqual(v.info, want.group, `${what}: getGroupsInfo`);
          assert.deepEqual(v.members, want.members, `${what}: getGroupMembers`);
          assert.deepEqual(v.kinds, want.kinds, `${what}: the notifications, in order`);
          assert.deepEqual(v.seqs, want.seqs, `${what}: the timeline's seqs`);
          const [kicked] = v.notices.filter((n) => n.kind === 'memberRemoved');
          assert.deepEqual([kicked.operatorUserID, kicked.userIDs], [olga, [kim]], `${what}: who was removed, by whom`);
          assert.deepEqual(v.applications, want.applications, `${what}: getGroupApplications`);
          assert.equal(v.unhandled, want.unhandled, `${what}: getGroupApplicationUnhandledCount`);
        };

        // Back: a new page of Max's device on the same dbName, a new login,
        // or the network again.
        const n = away === 'offline' ? await m.evaluate(() => T.events.m.states.length) : 0;
        if (away === 'page closed') m = await openPage(`max back (${away})`, m.context());
        if (away === 'offline') await m.context().setOffline(false);
        else await loginClient(m, 'm', max, maxToken, 'max');
        await until(m, (n) => T.events.m.states.slice(n).includes('connected'), n);
        await until(m, async ({ id, max }) => {
          const [g] = (await T.clients.m.getJoinedGroupList()).filter((g) => g.groupID === id);
          const ms = await T.clients.m.getGroupMembers({ groupID: id });
          return g && g.myRole === 'owner' && g.ownerUserID === max && ms.length === 3;
        }, { id: g.groupID, max });
        await until(m, (una) => T.events.m.applications.some((a) => a.userID === una), una);
        sameAsWanted(await view(m, 'm'), `back (${away})`);
        const announced = await m.evaluate(() => T.events.m.applications.map((a) => [a.userID, a.state]));
        assert.deepEqual(announced, [[una, 'pending']], 'the application made while away is announced once');

        // Offline: the server stops and the page reloads; IndexedDB serves it all.
        await server.stop();
        await until(m, () => T.events.m.states.at(-1) !== 'connected');
        await load(m);
        await loginClient(m, 'm', max, maxToken, 'max');
        assert.notEqual(await m.evaluate(() => T.clients.m.getConnectionState()), 'connected');
        sameAsWanted(await view(m, 'm'), `offline (${away})`);
        await server.start();
        await until(o, () => T.events.o.states.at(-1) === 'connected');
        for (const p of [o, m, u]) assert.deepEqual(p.errors, []);
      }));
  }
});
