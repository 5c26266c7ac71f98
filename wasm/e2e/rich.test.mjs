// End-to-end tests of rich messages and files (contract §4.1, §10) in the
// built parley-sdk package, in Chromium against a real parleyd, between
// two users: one test per content type, and a page reloaded in the middle
// of uploading a 20 MB file, whose message still goes out exactly once.
//
//   ./build.sh && cd wasm/e2e && npm ci && node --test rich.test.mjs
//
// Environment: as sdk.test.mjs (PARLEYD_BIN, PARLEY_ROOT, CHROMIUM_BIN).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.env.PARLEY_ROOT || path.join(here, '..', '..'));
const dist = path.join(root, 'wasm', 'dist');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ADMIN = 'e2e-rich-admin-secret';
const WAIT = 60_000;

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let proc;
let url;
let browser;
let tmp;
const log = [];

async function admin(route, body) {
  const res = await fetch(`${url}/api/v1/admin/${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`admin ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function startParleyd() {
  const bin = process.env.PARLEYD_BIN ? path.resolve(process.env.PARLEYD_BIN) : path.join(tmp, 'parleyd');
  if (!process.env.PARLEYD_BIN) execFileSync('go', ['build', '-o', bin, './cmd/parleyd'], { cwd: root, stdio: 'inherit', timeout: 600_000 });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  proc = spawn(bin, ['-addr', `127.0.0.1:${port}`, '-data', path.join(tmp, 'data'), '-admin-secret', ADMIN, '-sdk-dir', dist], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (c) => log.push(...String(c).split('\n').filter(Boolean));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`parleyd not healthy:\n${log.slice(-30).join('\n')}`);
}

const runID = Math.random().toString(36).slice(2, 7);
const uid = (name) => `${name}-${runID}`;

/** A page on parleyd's origin with client T.c logged in as userID, recording its events. */
async function openClient(userID) {
  const context = await browser.newContext();
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  await page.route(`${url}/rich`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>rich</title>' }));
  const token = (await admin('tokens', { userID, platform: 'web' })).token;
  page.login = async () => {
    await page.goto(`${url}/rich`);
    await page.evaluate(
      async ({ userID, token }) => {
        const sdk = await import('/sdk/index.js');
        const c = await sdk.createClient({ serverURL: location.origin, dbName: 'rich' });
        const ev = (globalThis.E = { newMessages: [], status: [], progress: [], order: [], conversations: [] });
        c.on('newMessages', (ms) => ev.newMessages.push(...ms));
        c.on('conversationsChanged', (cs) => ev.conversations.push(...cs));
        c.on('messageStatusChanged', (m) => {
          ev.status.push({ id: m.clientMsgID, status: m.status });
          ev.order.push(`${m.status}:${m.clientMsgID}`);
        });
        c.on('messageProgress', (p) => {
          ev.progress.push(p);
          ev.order.push(`progress:${p.clientMsgID}:${p.bytesSent === p.bytesTotal ? 'complete' : 'partial'}`);
        });
        await c.login({ userID, token });
        globalThis.T = { c };
      },
      { userID, token },
    );
  };
  await page.login();
  return page;
}

async function until(page, fn, arg) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${fn}`);
    await delay(100);
  }
}

/** Waits until bob's page got the message and returns it. */
async function received(page, clientMsgID) {
  await until(page, (id) => E.newMessages.some((m) => m.clientMsgID === id), clientMsgID);
  return page.evaluate((id) => E.newMessages.find((m) => m.clientMsgID === id), clientMsgID);
}

describe('rich messages between two browsers', () => {
  const alice = uid('alice');
  const bob = uid('bob');
  let pa;
  let pb;

  before(async () => {
    if (!existsSync(path.join(dist, 'index.js'))) throw new Error('wasm/dist is incomplete: run ./build.sh first');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-rich-e2e-'));
    await startParleyd();
    await admin('users', { userID: alice, nickname: 'Alice', faceURL: '' });
    await admin('users', { userID: bob, nickname: 'Bob', faceURL: '' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // The page is fulfilled by playwright: without this Chromium takes it
      // for a public page and blocks its WebSocket to loopback.
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-features=LocalNetworkAccessChecks'],
    });
    pa = await openClient(alice);
    pb = await openClient(bob);
  });

  after(async () => {
    if (browser) await browser.close();
    if (proc) proc.kill('SIGTERM');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Alice creates a message with make(c, arg) in her page and sends it to bob; returns what bob got. */
  async function roundTrip(make, arg) {
    const sent = await pa.evaluate(
      async ({ make, arg, bob }) => {
        const m = await new Function('c', 'arg', `return (${make})(c, arg)`)(T.c, arg);
        return T.c.sendMessage({ message: m, recvID: bob });
      },
      { make: make.toString(), arg, bob },
    );
    assert.equal(sent.status, 'sent');
    const got = await received(pb, sent.clientMsgID);
    assert.equal(got.contentType, sent.contentType);
    assert.equal(typeof got.content, 'object', 'content is a parsed object');
    return got;
  }

  test('location', async () => {
    const got = await roundTrip((c) => c.createLocationMessage({ latitude: 48.8584, longitude: 2.2945, description: 'Tour Eiffel' }));
    assert.deepEqual(got.content, { latitude: 48.8584, longitude: 2.2945, description: 'Tour Eiffel' });
  });

  test('card', async () => {
    const got = await roundTrip((c, id) => c.createCardMessage({ userID: id }), alice);
    assert.equal(got.content.userID, alice);
    assert.equal(got.content.nickname, 'Alice');
  });

  test('custom', async () => {
    const got = await roundTrip((c) => c.createCustomMessage({ data: { poll: ['a', 'b'], n: 2 }, description: 'A poll' }));
    assert.deepEqual(got.content.data, { poll: ['a', 'b'], n: 2 });
    assert.equal(got.content.description, 'A poll');
  });

  test('face', async () => {
    const got = await roundTrip((c) => c.createFaceMessage({ index: 7, data: 'wave' }));
    assert.deepEqual(got.content, { index: 7, data: 'wave' });
  });

  test('quote, forward and merger of a sent message', async () => {
    const original = await pa.evaluate(async (bob) => {
      const m = await T.c.createTextMessage('the original');
      return T.c.sendMessage({ message: m, recvID: bob });
    }, bob);
    const quote = await roundTrip((c, q) => c.createQuoteMessage({ text: 'replying', quoteMessage: q }), original);
    assert.equal(quote.text, 'replying');
    assert.equal(quote.content.quote.clientMsgID, original.clientMsgID);
    assert.equal(quote.content.quote.summary, 'the original');
    const fwd = await roundTrip((c, m) => c.createForwardMessage({ message: m }), quote);
    assert.notEqual(fwd.clientMsgID, quote.clientMsgID);
    assert.equal(fwd.text, 'replying');
    const merger = await roundTrip((c, ms) => c.createMergerMessage({ messages: ms, title: 'Our chat' }), [original, quote]);
    assert.equal(merger.content.title, 'Our chat');
    assert.deepEqual(
      merger.content.messages.map((m) => m.clientMsgID),
      [original.clientMsgID, quote.clientMsgID],
    );
  });

  test('mention marks the conversation until read', async () => {
    const got = await roundTrip((c, id) => c.createMentionMessage({ text: `@Bob look`, atUserIDs: [id] }), bob);
    assert.equal(got.text, '@Bob look');
    assert.deepEqual(got.content.atUserIDs, [bob]);
    const conv = await pb.evaluate((id) => T.c.getConversation({ conversationID: id }), got.conversationID);
    assert.equal(conv.mentionedMe, true);
    await pb.evaluate((id) => T.c.markConversationAsRead({ conversationID: id }), got.conversationID);
    const after = await pb.evaluate((id) => T.c.getConversation({ conversationID: id }), got.conversationID);
    assert.equal(after.mentionedMe, false);
  });

  test('link', async () => {
    const got = await roundTrip((c) => c.createLinkMessage({ url: 'https://example.invalid/page', text: 'see this' }));
    assert.equal(got.content.url, 'https://example.invalid/page');
  });

  test('bad input is refused with a code', async () => {
    const codes = await pa.evaluate(async () => {
      const out = [];
      for (const f of [
        () => T.c.createLocationMessage({ latitude: 'north', longitude: 0 }),
        () => T.c.createImageMessage({ file: 'not a file' }),
        () => T.c.createFileMessage({ file: new Blob([]) }),
        () => T.c.deleteUnsentMessage({ clientMsgID: 'nothing-like-it' }),
      ]) {
        try {
          await f();
          out.push('resolved');
        } catch (e) {
          out.push(e.code);
        }
      }
      return out;
    });
    assert.deepEqual(codes, ['invalid_argument', 'invalid_argument', 'invalid_argument', 'not_found']);
  });

  for (const kind of ['image', 'voice', 'video', 'file']) {
    test(`${kind} is uploaded and received`, async () => {
      const got = await roundTrip(async (c, kind) => {
        const canvas = new OffscreenCanvas(640, 480);
        const g = canvas.getContext('2d');
        g.fillStyle = '#3a7';
        g.fillRect(0, 0, 640, 480);
        const png = await canvas.convertToBlob({ type: 'image/png' });
        const bytes = new Blob([new Uint8Array(300_000).map((_, i) => i % 251)], { type: 'application/octet-stream' });
        if (kind === 'image') return c.createImageMessage({ file: png });
        if (kind === 'voice') return c.createVoiceMessage({ file: new Blob([bytes], { type: 'audio/webm' }), duration: 3 });
        if (kind === 'video') return c.createVideoMessage({ file: new Blob([bytes], { type: 'video/webm' }), duration: 2, snapshot: png });
        return c.createFileMessage({ file: new File([bytes], 'data.bin') });
      }, kind);
      assert.match(got.content.url, /^https?:\/\//);
      if (kind === 'image') {
        assert.equal(got.content.width, 640);
        assert.equal(got.content.height, 480);
        assert.match(got.content.thumbnail.url, /^https?:\/\//);
        assert.equal(got.content.thumbnail.width, 320);
      }
      if (kind === 'file') assert.equal(got.content.fileName, 'data.bin');
      const res = await pb.evaluate(async (u) => (await fetch(u)).status, got.content.url);
      assert.equal(res, 200, 'bob can download it through the URL the SDK signed for him');
      if (kind === 'image') {
        // The conversation's latest message, in the event and in the list,
        // carries signed URLs too.
        await until(pb, (id) => E.conversations.some((c) => c.latestMessage?.clientMsgID === id), got.clientMsgID);
        const statuses = await pb.evaluate(async (id) => {
          const ev = E.conversations.findLast((c) => c.latestMessage?.clientMsgID === id);
          const listed = (await T.c.getConversationList()).find((c) => c.latestMessage?.clientMsgID === id);
          const one = await T.c.getConversation({ conversationID: listed.conversationID });
          const urls = [ev, listed, one].flatMap((c) => [c.latestMessage.content.url, c.latestMessage.content.thumbnail.url]);
          return Promise.all(urls.map(async (u) => (await fetch(u)).status));
        }, got.clientMsgID);
        assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200], 'conversationsChanged, getConversationList and getConversation sign latestMessage');
      }
    });
  }

  test('a 10 MiB file reports its upload at least every 5%, the last progress before sent', async () => {
    const id = await pa.evaluate(async (bob) => {
      const m = await T.c.createFileMessage({ file: new File([new Uint8Array(10 << 20).map((_, i) => i % 253)], 'ten.bin') });
      await T.c.sendMessage({ message: m, recvID: bob });
      return m.clientMsgID;
    }, bob);
    const prog = await pa.evaluate((id) => E.progress.filter((p) => p.clientMsgID === id), id);
    assert.ok(prog.length >= 20, `${prog.length} progress events`);
    for (let i = 1; i < prog.length; i++) {
      assert.ok(prog[i].bytesSent >= prog[i - 1].bytesSent, 'progress never goes back');
      assert.ok(prog[i].bytesSent - prog[i - 1].bytesSent <= (10 << 20) / 20, 'no step over 5%');
    }
    assert.equal(prog.at(-1).bytesSent, 10 << 20);
    const order = await pa.evaluate((id) => E.order.filter((e) => e.includes(id)), id);
    assert.ok(order.lastIndexOf(`progress:${id}:complete`) < order.indexOf(`sent:${id}`), order.join(' '));
    assert.equal((await received(pb, id)).content.size, 10 << 20);
  });

  test('a reload in the middle of a 20 MB upload resumes it and sends the message once', async () => {
    const id = await pa.evaluate(async (bob) => {
      const big = new Uint8Array(20 << 20);
      for (let i = 0; i < big.length; i += 4096) big[i] = i & 255;
      const m = await T.c.createFileMessage({ file: new File([big], 'big.bin') });
      T.c.sendMessage({ message: m, recvID: bob }).catch(() => {});
      return m.clientMsgID;
    }, bob);
    await until(pa, (id) => E.progress.some((p) => p.clientMsgID === id && p.bytesSent > 0 && p.bytesSent < p.bytesTotal), id);
    await pa.reload();
    await pa.login();
    await until(pa, (id) => E.status.some((s) => s.id === id && s.status === 'sent'), id);
    const prog = await pa.evaluate((id) => E.progress.filter((p) => p.clientMsgID === id), id);
    assert.ok(prog.length > 0 && prog[0].bytesSent > 0, 'the upload resumed where it stopped, not from 0');
    assert.equal(prog.at(-1).bytesSent, prog.at(-1).bytesTotal);
    for (let i = 1; i < prog.length; i++) assert.ok(prog[i].bytesSent >= prog[i - 1].bytesSent, 'progress never goes back');
    const order = await pa.evaluate((id) => E.order.filter((e) => e.endsWith(id) || e.includes(`:${id}:`)), id);
    const complete = order.indexOf(`progress:${id}:complete`);
    assert.ok(complete >= 0 && complete < order.indexOf(`sent:${id}`), `the complete progress comes before sent: ${order.join(' ')}`);
    assert.equal(order.filter((e) => e === `sent:${id}`).length, 1, 'sent is announced once');
    const got = await received(pb, id);
    assert.equal(got.content.size, 20 << 20);
    await delay(1000);
    const n = await pb.evaluate((id) => E.newMessages.filter((m) => m.clientMsgID === id).length, id);
    assert.equal(n, 1, 'sent exactly once');
  });
});
