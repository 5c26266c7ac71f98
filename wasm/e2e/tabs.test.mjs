// One SDK for all tabs (contract §7): several tabs of one browser profile
// (pages of one playwright context) against a real parleyd, in Debian's
// Chromium. parleyd's /metrics counts the WebSockets the tabs hold.
//
//   ./build.sh && cd wasm/e2e && npm ci && node --test tabs.test.mjs
//
// Environment: as sdk.test.mjs (PARLEYD_BIN, PARLEY_ROOT, CHROMIUM_BIN).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Parleyd, delay, dist, freePort, launchChromium, parleydBinary } from './harness.mjs';

// How long one expectation may take: generous, the machine is small and shared.
const WAIT = 30_000;
const runID = Math.random().toString(36).slice(2, 7);
const uid = (name) => `${name}-${runID}`;

let server;
let browser;
let tmp;
const contexts = [];
const tabs = [];

/**
 * A browser profile: tabs opened in it share storage, SharedWorkers, Web
 * Locks and BroadcastChannels. noSharedWorker removes SharedWorker from
 * every page before any script runs, as on a browser without it.
 */
async function profile({ noSharedWorker = false } = {}) {
  const context = await browser.newContext();
  context.setDefaultTimeout(WAIT);
  if (noSharedWorker) await context.addInitScript(() => delete globalThis.SharedWorker);
  await context.route(`${server.url}/e2e`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>tabs e2e</title>' }),
  );
  contexts.push(context);
  return context;
}

/**
 * Serves the package at /sdk-next/ as a later SDK version would be: the
 * same files, with host.js saying version 9.9.9.
 */
async function serveNextVersion(context) {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  await context.route(`${server.url}/sdk-next/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice('/sdk-next/'.length);
    let body = readFileSync(path.join(dist, name));
    if (name === 'host.js') body = String(body).replace("export const version = '0.1.0';", "export const version = '9.9.9';");
    return route.fulfill({ contentType: types[path.extname(name)] || 'application/octet-stream', body });
  });
}

/** A tab with a client (not logged in) recording its events in T.ev. */
async function openTab(context, label, { dbName = 'tabs', sharing, sdk = '/sdk/' } = {}) {
  const page = await context.newPage();
  page.label = label;
  page.errors = [];
  page.logs = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  page.on('console', (m) => page.logs.push(`${m.type()}: ${m.text()}`));
  tabs.push(page);
  await page.goto(`${server.url}/e2e`);
  await page.evaluate(
    async ({ dbName, sharing, from }) => {
      const sdk = await import(from + 'index.js');
      const c = await sdk.createClient({ serverURL: location.origin, dbName, sharing });
      const ev = { newMessages: [], states: [], stateTimes: [], status: [], convs: [], totals: [] };
      c.on('conversationsChanged', (cs) => ev.convs.push(...cs.map((x) => ({ conversationID: x.conversationID, latest: x.latestMessage && x.latestMessage.clientMsgID }))));
      c.on('totalUnreadCountChanged', (n) => ev.totals.push(n));
      c.on('newMessages', (ms) => ev.newMessages.push(...ms));
      c.on('connectionStateChanged', (e) => {
        ev.states.push(e.state);
        ev.stateTimes.push(Date.now());
      });
      c.on('messageStatusChanged', (m) => ev.status.push({ clientMsgID: m.clientMsgID, status: m.status }));
      globalThis.T = { sdk, c, ev };
    },
    { dbName, sharing, from: sdk },
  );
  return page;
}

const login = (page, userID, token) =>
  page.evaluate(({ userID, token }) => T.c.login({ userID, token }), { userID, token });

const ev = (page) => page.evaluate(() => T.ev);

async function until(what, fn) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT} ms waiting for ${what}`);
    await delay(50);
  }
}

const connected = (page) =>
  until(`${page.label} connected`, () => page.evaluate(() => T.c.getConnectionState().then((s) => s === 'connected')));

/** Waits until parleyd counts n WebSockets, and checks it stays there. */
async function connectionsSettle(n) {
  await until(`${n} connections on the server`, async () => (await server.connections()) === n);
  await delay(500);
  assert.equal(await server.connections(), n, 'connection count settled');
}

/** Sends count messages from the tab at once; resolves to what each send did. */
function burst(page, recvID, prefix, count) {
  return page.evaluate(
    async ({ recvID, prefix, count }) => {
      const sends = [];
      for (let i = 0; i < count; i++) {
        const m = await T.c.createTextMessage(`${prefix} ${i}`);
        sends.push(
          T.c.sendMessage({ message: m, recvID }).then(
            (s) => ({ clientMsgID: m.clientMsgID, status: s.status }),
            (e) => ({ clientMsgID: m.clientMsgID, code: e.code, message: e.message, m }),
          ),
        );
      }
      T.burst = Promise.all(sends);
      return sends.length;
    },
    { recvID, prefix, count },
  );
}

/** The burst's outcomes; a send that never settles fails the test instead of hanging it. */
function burstResults(page) {
  return page.evaluate(
    (ms) => Promise.race([T.burst, new Promise((_, reject) => setTimeout(() => reject(new Error(`the burst did not settle within ${ms} ms`)), ms))]),
    WAIT,
  );
}

function counts(list) {
  const n = new Map();
  for (const m of list) n.set(m.clientMsgID, (n.get(m.clientMsgID) || 0) + 1);
  return n;
}

function assertOnceEach(list, what) {
  for (const [id, n] of counts(list)) assert.equal(n, 1, `${what}: ${id} ${n} times`);
}

const sentStatuses = (e) => e.status.filter((s) => s.status === 'sent');

describe('one SDK for all tabs', () => {
  const ann = uid('ann');
  const ben = uid('ben');
  const cat = uid('cat');
  const dan = uid('dan');
  const eve = uid('eve');
  const fay = uid('fay');
  let rx; // ben's page, in a profile of its own

  before(async () => {
    if (!existsSync(path.join(dist, 'worker.js'))) throw new Error('wasm/dist is incomplete: run ./build.sh first');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-tabs-e2e-'));
    server = new Parleyd(parleydBinary(tmp), await freePort(), path.join(tmp, 'data'));
    await server.start();
    for (const u of [ann, ben, cat, dan, eve, fay]) await server.user(u, u.split('-')[0]);
    browser = await launchChromium();
    rx = await openTab(await profile(), 'ben', { dbName: 'rx' });
    await login(rx, ben, await server.token(ben));
    await connected(rx);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // Each test's profiles close after it, so that a failed test leaves no
  // connection behind to miscount the next one's.
  const diagnose = async (fn) => {
    const first = contexts.length;
    const firstTab = tabs.length;
    try {
      await fn();
    } catch (err) {
      for (const p of [rx, ...tabs.slice(firstTab)].filter(Boolean)) {
        console.error(`--- ${p.label} console:\n${p.logs.slice(-20).join('\n')}\nerrors: ${p.errors.join('\n')}`);
      }
      if (server) console.error(`--- parleyd:\n${server.tail()}`);
      throw err;
    } finally {
      for (const c of contexts.splice(first)) await c.close().catch(() => {});
    }
  };

  test('three tabs hold one connection; a send from each tab reaches every tab and the receiver once', () =>
    diagnose(async () => {
      await connectionsSettle(1);

      const p = await profile();
      const t = [];
      for (let i = 0; i < 3; i++) t.push(await openTab(p, `ann tab ${i}`));
      const token = await server.token(ann);
      for (const tab of t) await login(tab, ann, token);
      for (const tab of t) await connected(tab);
      await connectionsSettle(2);
      for (const tab of t) {
        assert.equal(await tab.evaluate(() => T.c.getLoginUserID()), ann);
        // Tabs that joined the session hear its state too.
        await until(`${tab.label} heard connected`, async () => (await ev(tab)).states.includes('connected'));
      }

      const sent = [];
      for (const [i, tab] of t.entries()) {
        sent.push(
          await tab.evaluate(async ({ ben, i }) => {
            const m = await T.c.sendMessage({ message: await T.c.createTextMessage(`from tab ${i}`), recvID: ben });
            return m.clientMsgID;
          }, { ben, i }),
        );
      }
      // Every tab learns of every own send through messageStatusChanged, once.
      for (const tab of t) {
        await until(`${tab.label} sees 3 sent`, async () => sentStatuses(await ev(tab)).length >= 3);
      }
      await until('ben has 3', async () => (await ev(rx)).newMessages.length >= 3);
      await delay(500); // a doubled announcement would be here by now
      for (const tab of t) {
        const e = await ev(tab);
        assert.deepEqual(sentStatuses(e).map((s) => s.clientMsgID).sort(), [...sent].sort(), tab.label);
        assert.equal(e.newMessages.length, 0, `${tab.label}: own sends are not newMessages`);
      }
      const got = (await ev(rx)).newMessages;
      assert.deepEqual(got.map((m) => m.clientMsgID).sort(), [...sent].sort());
      assertOnceEach(got, 'ben');

      // And the other way: a message to ann is announced once in each tab.
      const back = await rx.evaluate(async (ann) => {
        const m = await T.c.sendMessage({ message: await T.c.createTextMessage('to every tab'), recvID: ann });
        return m.clientMsgID;
      }, ann);
      for (const tab of t) {
        await until(`${tab.label} gets the reply`, async () => (await ev(tab)).newMessages.length >= 1);
      }
      await delay(500);
      for (const tab of t) {
        const e = await ev(tab);
        assert.deepEqual(e.newMessages.map((m) => m.clientMsgID), [back], tab.label);
      }

      // Closing the tab that started the shared instance mid-burst: the
      // instance goes on for the others; nothing is lost or doubled.
      await burst(t[1], ben, 'burst', 100);
      await until('some of the burst sent', async () => sentStatuses(await ev(t[1])).length >= 3 + 20);
      await t[0].close();
      const results = await burstResults(t[1]);
      assert.deepEqual(results.filter((r) => r.status !== 'sent'), [], 'every send of the burst resolved as sent');
      await until('ben has the burst', async () => (await ev(rx)).newMessages.length >= 3 + 100);
      await delay(500);
      const all = (await ev(rx)).newMessages;
      assert.equal(all.length, 103);
      assertOnceEach(all, 'ben after the burst');
      await connectionsSettle(2);
      for (const tab of t.slice(1)) assert.deepEqual(tab.errors, []);

      // Logout in one tab logs out all of them.
      await t[2].evaluate(() => T.c.logout());
      for (const tab of t.slice(1)) {
        await until(`${tab.label} disconnected`, async () => (await ev(tab)).states.at(-1) === 'disconnected');
        assert.equal(await tab.evaluate(() => T.c.getLoginUserID()), '');
      }
      await connectionsSettle(1);
      // Login in another tab as another user, without a reload.
      await login(t[1], cat, await server.token(cat));
      await connected(t[1]);
      assert.equal(await t[1].evaluate(() => T.c.getLoginUserID()), cat);
      assert.equal(await t[2].evaluate(() => T.c.getLoginUserID()), '');
      await connectionsSettle(2);
      await t[1].evaluate(() => T.c.logout());
      await connectionsSettle(1);
    }));

  test('without SharedWorker: one tab leads, the others relay; closing the leader mid-burst loses and doubles nothing', () =>
    diagnose(async () => {
      const before = (await ev(rx)).newMessages.length;
      const p = await profile({ noSharedWorker: true });
      const t = [];
      for (let i = 0; i < 3; i++) t.push(await openTab(p, `dan tab ${i} (no SharedWorker)`));
      assert.equal(await t[0].evaluate(() => typeof SharedWorker), 'undefined');
      const token = await server.token(dan);
      for (const tab of t) await login(tab, dan, token);
      for (const tab of t) await connected(tab);
      await connectionsSettle(2);

      const one = await t[2].evaluate(async (ben) => {
        const m = await T.c.sendMessage({ message: await T.c.createTextMessage('relayed'), recvID: ben });
        return m.status;
      }, ben);
      assert.equal(one, 'sent');
      for (const tab of t) await until(`${tab.label} sees it sent`, async () => sentStatuses(await ev(tab)).length >= 1);

      // The first tab's worker took the lock first: it hosts. Close it
      // while the second tab sends 100 messages.
      await burst(t[1], ben, 'relay burst', 100);
      await until('some of the burst sent', async () => sentStatuses(await ev(t[1])).length >= 1 + 20);
      const connects = (e) => e.states.filter((s) => s === 'connected').length;
      const was = [connects(await ev(t[1])), connects(await ev(t[2]))];
      const closedAt = Date.now();
      await t[0].close();
      // The takeover reconnects: the remaining tabs see connected again.
      for (const [i, tab] of t.slice(1).entries()) {
        await until(`${tab.label} reconnected`, async () => connects(await ev(tab)) > was[i]);
      }
      const e2 = await ev(t[2]);
      const at = e2.stateTimes[e2.states.lastIndexOf('connected')];
      // Recorded in docs/benchmarks.md, not asserted: a loaded machine is slower.
      console.log(`takeover: connected again ${at - closedAt} ms after the hosting tab began to close`);
      await until('one connection for the group again', async () => (await server.connections()) === 2);
      console.log(`takeover: the server counts the group's one connection ${Date.now() - closedAt} ms after the hosting tab began to close`);
      const results = await burstResults(t[1]);
      // Sends retry on the new host: every one resolves as sent.
      assert.deepEqual(results.filter((r) => r.status !== 'sent'), [], 'every send of the burst resolved as sent');
      await until('ben has the burst', async () => (await ev(rx)).newMessages.length >= before + 101);
      await delay(500);
      const got = (await ev(rx)).newMessages.slice(before);
      assert.equal(got.length, 101);
      assertOnceEach(got, 'ben, relay burst');
      // The third tab heard each send's 'sent' at most once (one whose ack
      // the closing host stored but had not announced yet is not heard:
      // see index.d.ts), and reads every one back as sent.
      assertOnceEach(sentStatuses(await ev(t[2])), 'the third tab');
      const stored = await t[2].evaluate(async (conv) => {
        const h = await T.c.getHistoryMessages({ conversationID: conv, count: 200 });
        return h.messages.filter((m) => m.status === 'sent').map((m) => m.clientMsgID);
      }, `si_${[ben, dan].sort().join('_')}`);
      const sentIDs = [...results.map((r) => r.clientMsgID)];
      for (const id of sentIDs) assert.ok(stored.includes(id), `the third tab reads ${id} as sent`);
      await connectionsSettle(2);
      for (const tab of t.slice(1)) assert.deepEqual(tab.errors, []);

      // The new host's tab crashes (its worker with it): the last tab takes
      // over, and a send from it goes out once.
      const was2 = connects(await ev(t[2]));
      const cdp = await p.newCDPSession(t[1]);
      cdp.send('Page.crash').catch(() => {}); // not awaited: the page is gone before it answers
      await until('the last tab reconnected', async () => connects(await ev(t[2])) > was2);
      const after = await t[2].evaluate(async (ben) => {
        const m = await T.c.sendMessage({ message: await T.c.createTextMessage('after the crash'), recvID: ben });
        return m.status;
      }, ben);
      assert.equal(after, 'sent');
      await until('ben has it', async () => (await ev(rx)).newMessages.some((m) => m.text === 'after the crash'));
      await delay(500);
      assertOnceEach((await ev(rx)).newMessages, 'ben after the crash');
      await connectionsSettle(2);
      assert.deepEqual(t[2].errors, []);
      await t[2].evaluate(() => T.c.logout());
      await connectionsSettle(1);
    }));

  test('a host that stored but did not announce before its tab closed: the tabs left are told once each after the takeover', () =>
    diagnose(async () => {
      const p = await profile({ noSharedWorker: true });
      const t = [];
      for (let i = 0; i < 3; i++) t.push(await openTab(p, `fay tab ${i} (no SharedWorker)`, { dbName: 'resync' }));
      const token = await server.token(fay);
      for (const tab of t) await login(tab, fay, token);
      for (const tab of t) await connected(tab);
      await connectionsSettle(2);
      const conv = `si_${[ben, fay].sort().join('_')}`;

      // The first tab's worker hosts. From now on it stores as usual but
      // announces only 'sending': as a host does in its last moments,
      // between its writes and their announcements, made to last.
      const host = t[0].workers();
      assert.equal(host.length, 1, "the first tab's worker");
      await host[0].evaluate(() => {
        const post = BroadcastChannel.prototype.postMessage;
        globalThis.dropped = 0;
        BroadcastChannel.prototype.postMessage = function (m) {
          if (m && m.t === 'event' && !(m.name === 'messageStatusChanged' && m.payload.status === 'sending')) {
            if (m.name === 'newMessages') globalThis.dropped += m.payload.length;
            return;
          }
          return post.call(this, m);
        };
      });
      // Own sends from the second tab: 'sending' heard everywhere, 'sent' not.
      await burst(t[1], ben, 'own', 5);
      const own = await burstResults(t[1]);
      assert.deepEqual(own.filter((r) => r.status !== 'sent'), [], 'the sends themselves are answered');
      for (const tab of t.slice(1)) {
        await until(`${tab.label} heard 5 sending`, async () => (await ev(tab)).status.filter((x) => x.status === 'sending').length >= 5);
      }
      // ben sends 30; the host stores them and tells no tab. Then 30 more,
      // and the hosting tab closes in the middle of them.
      const rxSent = sentStatuses(await ev(rx)).length;
      await burst(rx, fay, 'unannounced', 30);
      await burstResults(rx);
      await until('the host stored the 30', async () => (await host[0].evaluate(() => globalThis.dropped)) >= 30);
      for (const tab of t.slice(1)) assert.equal((await ev(tab)).newMessages.length, 0, `${tab.label} was told nothing yet`);
      await burst(rx, fay, 'mid-burst', 30);
      await until('ben sent some of the second burst', async () => sentStatuses(await ev(rx)).length >= rxSent + 30 + 5);
      const connects = (e) => e.states.filter((s) => s === 'connected').length;
      const was = [connects(await ev(t[1])), connects(await ev(t[2]))];
      await t[0].close();
      for (const [i, tab] of t.slice(1).entries()) {
        await until(`${tab.label} reconnected`, async () => connects(await ev(tab)) > was[i]);
      }
      await burstResults(rx);
      const texts = [...Array(30).keys()].map((i) => `unannounced ${i}`).concat([...Array(30).keys()].map((i) => `mid-burst ${i}`));
      const ownIDs = own.map((r) => r.clientMsgID).sort();
      for (const tab of t.slice(1)) {
        await until(`${tab.label} has all 60`, async () => (await ev(tab)).newMessages.length >= 60);
        await until(`${tab.label} heard every own send sent`, async () => sentStatuses(await ev(tab)).length >= 5);
      }
      await delay(500); // a doubled announcement would be here by now
      for (const tab of t.slice(1)) {
        const e = await ev(tab);
        assertOnceEach(e.newMessages, tab.label);
        assert.deepEqual(e.newMessages.map((m) => m.text).sort(), [...texts].sort(), `${tab.label}: every message of both bursts`);
        assert.deepEqual(sentStatuses(e).map((x) => x.clientMsgID).sort(), ownIDs, `${tab.label}: each own send's 'sent' once`);
        const last = e.convs.filter((c) => c.conversationID === conv).at(-1);
        const stored = await tab.evaluate(async (conv) => (await T.c.getConversation({ conversationID: conv })).latestMessage.clientMsgID, conv);
        assert.equal(last && last.latest, stored, `${tab.label}: the conversation as it is`);
        assert.equal(e.totals.at(-1), await tab.evaluate(() => T.c.getTotalUnreadCount()), `${tab.label}: the unread total as it is`);
        assert.deepEqual(tab.errors, []);
      }
      // The new host announces as usual: the next message once in each tab.
      const next = await rx.evaluate(async (fay) => (await T.c.sendMessage({ message: await T.c.createTextMessage('after the takeover'), recvID: fay })).clientMsgID, fay);
      for (const tab of t.slice(1)) {
        await until(`${tab.label} gets the next`, async () => (await ev(tab)).newMessages.some((m) => m.clientMsgID === next));
      }
      await delay(500);
      for (const tab of t.slice(1)) assertOnceEach((await ev(tab)).newMessages, `${tab.label} after`);
      await t[1].evaluate(() => T.c.logout());
      await connectionsSettle(1);
    }));

  test('the SharedWorker ending mid-burst: the tabs start the next one, logged in; nothing is lost or doubled', () =>
    diagnose(async () => {
      const before = (await ev(rx)).newMessages.length;
      const p = await profile();
      const t = [await openTab(p, 'eve tab 0', { dbName: 'killdb' }), await openTab(p, 'eve tab 1', { dbName: 'killdb' })];
      const token = await server.token(eve);
      for (const tab of t) await login(tab, eve, token);
      for (const tab of t) await connected(tab);
      await connectionsSettle(2);
      const connects = (e) => e.states.filter((s) => s === 'connected').length;
      const was = connects(await ev(t[0]));

      await burst(t[1], ben, 'kill burst', 60);
      await until('some of the burst sent', async () => sentStatuses(await ev(t[1])).length >= 10);
      // Ends this profile's SharedWorker as a crash would: through DevTools,
      // the worker being out of the pages' reach.
      await t[0].evaluate(() => (document.title = 'kill-shared-worker'));
      const cdp = await browser.newBrowserCDPSession();
      const { targetInfos } = await cdp.send('Target.getTargets');
      const mine = targetInfos.find((x) => x.type === 'page' && x.title === 'kill-shared-worker').browserContextId;
      const workers = targetInfos.filter((x) => x.type === 'shared_worker' && x.browserContextId === mine);
      assert.equal(workers.length, 1, 'one SharedWorker serves the profile');
      await cdp.send('Target.closeTarget', { targetId: workers[0].targetId });
      await cdp.detach();

      await until('a tab reconnected', async () => connects(await ev(t[0])) > was);
      const results = await burstResults(t[1]);
      assert.deepEqual(results.filter((r) => r.status !== 'sent'), [], 'every send of the burst resolved as sent');
      await until('ben has the burst', async () => (await ev(rx)).newMessages.length >= before + 60);
      await delay(500);
      const got = (await ev(rx)).newMessages.slice(before);
      assert.equal(got.length, 60);
      assertOnceEach(got, 'ben, kill burst');
      for (const tab of t) assert.equal(await tab.evaluate(() => T.c.getLoginUserID()), eve);
      await connectionsSettle(2);
      for (const tab of t) assert.deepEqual(tab.errors, []);
      await t[0].evaluate(() => T.c.logout());
      await connectionsSettle(1);
    }));

  test('two users in two tab groups of one profile with different dbNames stay apart', () =>
    diagnose(async () => {
      const p = await profile();
      const a1 = await openTab(p, 'ann group 1', { dbName: 'groupA' });
      const a2 = await openTab(p, 'ann group 2', { dbName: 'groupA' });
      const c1 = await openTab(p, 'cat group 1', { dbName: 'groupC' });
      const c2 = await openTab(p, 'cat group 2', { dbName: 'groupC' });
      const ta = await server.token(ann);
      const tc = await server.token(cat);
      await login(a1, ann, ta);
      await login(a2, ann, ta);
      await login(c1, cat, tc);
      await login(c2, cat, tc);
      for (const tab of [a1, a2, c1, c2]) await connected(tab);
      await connectionsSettle(3); // ben, ann's group, cat's group
      const id = await a2.evaluate(async (cat) => {
        const m = await T.c.sendMessage({ message: await T.c.createTextMessage('across groups'), recvID: cat });
        return m.clientMsgID;
      }, cat);
      for (const tab of [c1, c2]) await until(`${tab.label} gets it`, async () => (await ev(tab)).newMessages.length >= 1);
      await delay(500);
      for (const tab of [c1, c2]) assert.deepEqual((await ev(tab)).newMessages.map((m) => m.clientMsgID), [id]);
      for (const tab of [a1, a2]) assert.equal((await ev(tab)).newMessages.length, 0);
      for (const tab of [c1, c2]) assert.equal((await ev(tab)).status.length, 0, 'cat sees none of ann\'s sends');
      assert.equal(await a1.evaluate(() => T.c.getLoginUserID()), ann);
      assert.equal(await c1.evaluate(() => T.c.getLoginUserID()), cat);
      // Arguments cross to the worker by structured clone: a Blob crosses
      // as itself and reaches Go (which refuses it where text belongs); a
      // function cannot cross, and the proxy says so with a code.
      const crossing = await c2.evaluate(async (conv) => {
        const code = (p) => p.then(() => 'resolved', (e) => ({ code: e.code, message: e.message }));
        return {
          blob: await code(T.c.setConversationDraft({ conversationID: conv, draftText: new Blob(['x']) })),
          fn: await code(T.c.setConversationDraft({ conversationID: conv, draftText: () => 'x' })),
        };
      }, `si_${[ann, cat].sort().join('_')}`);
      assert.equal(crossing.blob.code, 'invalid_argument');
      assert.doesNotMatch(crossing.blob.message, /clone/i, 'the Blob reached Go');
      assert.equal(crossing.fn.code, 'invalid_argument');
      assert.match(crossing.fn.message, /clone/i);
      const convs = await c2.evaluate(() => T.c.getConversationList());
      assert.deepEqual(convs.map((c) => c.latestMessage && c.latestMessage.clientMsgID), [id]);
      await a1.evaluate(() => T.c.logout());
      assert.equal(await c1.evaluate(() => T.c.getLoginUserID()), cat, "ann's logout leaves cat's group alone");
      await c1.evaluate(() => T.c.logout());
      await connectionsSettle(1);
    }));

  test('a worker that cannot load leaves the tab on its own instance, which works', () =>
    diagnose(async () => {
      const p = await profile();
      // As offline without a service worker holding the SDK's files.
      await p.route(`${server.url}/sdk/worker.js`, (route) => route.fulfill({ status: 404, body: 'gone' }));
      const tab = await openTab(p, 'no worker script', { dbName: 'noworker' });
      assert.equal(
        await tab.evaluate(() => T.sdk.createClient({ serverURL: location.origin, sharing: 'sometimes' }).then(() => 'resolved', (e) => e.code)),
        'invalid_argument',
      );
      // A parley.wasm that cannot load shows at login, with its code: here
      // on the page, and (in a profile where worker.js loads) from the
      // SharedWorker that reports it, after which the page tries too.
      const badWasm = (t) => t.evaluate(async () => {
        const c = await T.sdk.createClient({ serverURL: location.origin, dbName: 'badwasm', wasmURL: '/sdk/missing.wasm' });
        return c.login({ userID: 'nobody', token: 'some-token' }).then(() => 'resolved', (e) => e.code);
      });
      assert.equal(await badWasm(tab), 'network');
      const other = await openTab(await profile(), 'missing wasm, worker loads', { dbName: 'badwasm2' });
      assert.equal(await badWasm(other), 'network');
      assert.ok(other.logs.some((l) => l.includes('running on this page')), 'the worker reported it');
      await login(tab, cat, await server.token(cat));
      await connected(tab);
      assert.ok(tab.logs.some((l) => l.includes('running on this page')), 'the fallback is logged');
      const status = await tab.evaluate(async (ben) => {
        const m = await T.c.sendMessage({ message: await T.c.createTextMessage('from the page'), recvID: ben });
        return m.status;
      }, ben);
      assert.equal(status, 'sent');
      await connectionsSettle(2);
      await tab.evaluate(() => T.c.logout());
      await connectionsSettle(1);
      assert.deepEqual(tab.errors, []);
    }));

  test('tabs of two SDK versions do not share: the later one waits until the earlier tabs let go, then opens the data', () =>
    diagnose(async () => {
      const p = await profile();
      await serveNextVersion(p);
      const older = await openTab(p, 'SDK 0.1.0', { dbName: 'versions' });
      const newer = await openTab(p, 'SDK 9.9.9', { dbName: 'versions', sdk: '/sdk-next/' });
      assert.equal(await newer.evaluate(() => T.sdk.version), '9.9.9');
      const token = await server.token(dan);
      await login(older, dan, token);
      await connected(older);
      // The login of the other version waits; its state is read without
      // waiting on it.
      const startLogin = (tab) =>
        tab.evaluate(({ dan, token }) => {
          T.login = 'pending';
          T.c.login({ userID: dan, token }).then(() => (T.login = 'resolved'), (e) => (T.login = e.code));
        }, { dan, token });
      const loginState = (tab) => tab.evaluate(() => T.login);
      await startLogin(newer);
      // The older tab is not disturbed.
      const status = await older.evaluate(async (ben) => {
        const m = await T.c.sendMessage({ message: await T.c.createTextMessage('from the older SDK'), recvID: ben });
        return m.status;
      }, ben);
      assert.equal(status, 'sent');
      await connectionsSettle(2);
      assert.equal(await loginState(newer), 'pending', 'the newer SDK waits while the older has the data open');
      // The older tab closes (its SharedWorker ends with it): the newer opens the data.
      await older.close();
      await until('the newer login resolved', async () => (await loginState(newer)) === 'resolved');
      await connected(newer);
      const hist = await newer.evaluate(async (conv) => (await T.c.getHistoryMessages({ conversationID: conv, count: 10 })).messages.map((m) => m.text), `si_${[ben, dan].sort().join('_')}`);
      assert.ok(hist.includes('from the older SDK'), 'the newer SDK reads what the older stored');
      await connectionsSettle(2);

      // The other way round, and a wait given up: an older tab opened now
      // waits for the newer, and its logout ends the wait.
      const again = await openTab(p, 'SDK 0.1.0 again', { dbName: 'versions' });
      await startLogin(again);
      assert.equal(await newer.evaluate(() => T.c.getLoginUserID()), dan);
      assert.equal(await loginState(again), 'pending');
      const loggedOut = await again.evaluate(
        (ms) => Promise.race([T.c.logout().then(() => 'resolved', (e) => e.code), new Promise((r) => setTimeout(() => r('still pending'), ms))]),
        WAIT,
      );
      assert.equal(loggedOut, 'resolved');
      await until('the waiting login gave up', async () => (await loginState(again)) !== 'pending');
      assert.equal(await loginState(again), 'canceled');
      assert.equal(await again.evaluate(() => T.c.getLoginUserID()), '');
      await newer.evaluate(() => T.c.logout());
      await connectionsSettle(1);
      assert.deepEqual(newer.errors, []);
      assert.deepEqual(again.errors, []);
    }));

  test("sharing 'off': one instance per client; a second one on the same data is refused with a code", () =>
    diagnose(async () => {
      const p = await profile();
      const o1 = await openTab(p, 'off 1', { dbName: 'offdb', sharing: 'off' });
      const o2 = await openTab(p, 'off 2', { dbName: 'offdb', sharing: 'off' });
      const s3 = await openTab(p, 'shared 3', { dbName: 'offdb' });
      const token = await server.token(cat);
      await login(o1, cat, token);
      await connected(o1);
      const refused = async (tab) =>
        tab.evaluate(async ({ cat, token }) => T.c.login({ userID: cat, token }).then(() => 'resolved', (e) => e.code), { cat, token });
      assert.equal(await refused(o2), 'unavailable');
      assert.equal(await refused(s3), 'unavailable');
      await connectionsSettle(2);
      // Once the first lets go, the next may open the data.
      await o1.evaluate(() => T.c.logout());
      assert.equal(await refused(o2), 'resolved');
      await connected(o2);
      await o2.evaluate(() => T.c.close());
      await connectionsSettle(1);
    }));
});
