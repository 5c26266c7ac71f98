// End-to-end tests of calls in the web demo: a real parleyd (with a short
// -call-timeout), the real SDK, and Chromium on fake media devices, so that
// two browser profiles place a real WebRTC call over loopback.
//
//   cd web-demo/e2e && npm ci && node --test calls.test.mjs
//
// Environment: as demo.test.mjs (PARLEYD_BIN, PARLEY_ROOT, CHROMIUM_BIN).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { fillGroupDialog } from './groupdialog.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.env.PARLEY_ROOT || path.join(here, '..', '..'));
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const WAIT = 30_000;
// Short, so that the missed call does not hold the suite for a minute.
const CALL_TIMEOUT = '4s';

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

function delay(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function parleydBinary(tmp) {
  if (process.env.PARLEYD_BIN) return path.resolve(process.env.PARLEYD_BIN);
  if (!existsSync(path.join(root, 'wasm', 'dist', 'index.js'))) {
    throw new Error('wasm/dist/index.js is missing: run ./build.sh first (parleyd serves the SDK from it at /sdk/)');
  }
  const bin = path.join(tmp, 'parleyd');
  execFileSync('go', ['build', '-o', bin, './cmd/parleyd'], { cwd: root, stdio: 'inherit', timeout: 600_000 });
  return bin;
}

let tmp;
let proc;
let url;
let browser;
const log = [];
const contexts = [];
let counter = 0;
const runID = Math.random().toString(36).slice(2, 7);

async function startServer() {
  const bin = parleydBinary(tmp);
  const dataDir = path.join(tmp, 'data');
  mkdirSync(dataDir);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  proc = spawn(bin, ['-addr', `127.0.0.1:${port}`, '-data', dataDir, '-admin-secret', 'x', '-call-timeout', CALL_TIMEOUT], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  proc.exited = exited;
  const keep = (chunk) => {
    log.push(...String(chunk).split('\n').filter(Boolean));
    if (log.length > 300) log.splice(0, log.length - 300);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let gone = null;
  exited.then((e) => (gone = e));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`parleyd exited (${JSON.stringify(gone)}):\n${log.slice(-40).join('\n')}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`parleyd did not become healthy:\n${log.slice(-40).join('\n')}`);
}

/** newDevice opens a fresh browser profile on the demo. */
async function newDevice(label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(WAIT);
  contexts.push(context);
  // The test reads getStats of the demo's peer connections: note each one.
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.__peerConnections = [];
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        window.__peerConnections.push(this);
      }
    };
  });
  const page = await context.newPage();
  const dev = { label, context, page, errors: [], dialogs: [] };
  page.on('dialog', (d) => {
    dev.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (err) => dev.errors.push(String(err)));
  await page.goto(url + '/');
  await page.getByTestId('auth-screen').waitFor();
  return dev;
}

/** newUser registers through the demo's form. */
async function newUser(label) {
  const dev = await newDevice(label);
  dev.username = `${label.toLowerCase()}_${runID}_${++counter}`;
  dev.nickname = label;
  dev.password = `pw-${label}-${runID}-secret`;
  await dev.page.getByTestId('show-register').click();
  await dev.page.getByTestId('register-username').fill(dev.username);
  await dev.page.getByTestId('register-nickname').fill(dev.nickname);
  await dev.page.getByTestId('register-password').fill(dev.password);
  await dev.page.getByTestId('register-submit').click();
  await dev.page.getByTestId('main-screen').waitFor();
  return dev;
}

/** secondDevice signs user in again in another browser profile. */
async function secondDevice(user) {
  const dev = await newDevice(`${user.label} 2`);
  Object.assign(dev, { username: user.username, nickname: user.nickname, password: user.password });
  await dev.page.getByTestId('login-username').fill(user.username);
  await dev.page.getByTestId('login-password').fill(user.password);
  await dev.page.getByTestId('login-submit').click();
  await dev.page.getByTestId('main-screen').waitFor();
  return dev;
}

async function startChat(user, other) {
  await user.page.getByTestId('new-chat-button').click();
  await user.page.getByTestId('new-chat-username').fill(other.username);
  await user.page.getByTestId('new-chat-submit').click();
  await user.page.getByTestId('chat-view').waitFor();
  await user.page.getByTestId('call-video-button').waitFor();
}

async function openChat(dev, name) {
  await dev.page.locator(`[data-testid="conversation-item"][data-name="${name}"]`).click();
  await dev.page.getByTestId('chat-view').waitFor();
}

/** inboundVideoBytes reads the call's received video bytes from getStats. */
async function inboundVideoBytes(dev) {
  return dev.page.evaluate(async () => {
    const video = document.querySelector('[data-testid="remote-video"]');
    const pc = window.__peerConnections[window.__peerConnections.length - 1];
    if (!pc || !video || !video.srcObject) return 0;
    let bytes = 0;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') bytes += r.bytesReceived || 0;
    });
    return bytes;
  });
}

/** createGroup makes a group through the demo's dialog, adding members by username. */
async function createGroup(owner, name, members) {
  await fillGroupDialog(owner, name, members);
  await waitFor(`${name} open`, async () => (await owner.page.getByTestId('chat-title').textContent()) === name);
  await owner.page.getByTestId('call-video-button').waitFor();
}

/** groupOfThree registers Alice, Bob and Carl; Alice makes the group and keeps it open. */
async function groupOfThree(name) {
  const users = [await newUser('Alice'), await newUser('Bob'), await newUser('Carl')];
  await createGroup(users[0], name, users.slice(1));
  return users;
}

/**
 * inboundVideoFrom reads the video bytes received from the participant
 * whose tile is named name: from the peer connection whose receivers feed
 * that tile's video.
 */
async function inboundVideoFrom(dev, name) {
  return dev.page.evaluate(async (name) => {
    const tile = [...document.querySelectorAll('[data-testid="remote-tile"]')].find((t) => t.querySelector('[data-testid="remote-name"]').textContent === name);
    const stream = tile && tile.querySelector('[data-testid="remote-video"]').srcObject;
    if (!stream) return 0;
    const tracks = stream.getTracks();
    const pc = window.__peerConnections.find((p) => p.connectionState !== 'closed' && p.getReceivers().some((r) => tracks.includes(r.track)));
    if (!pc) return 0;
    let bytes = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') bytes += r.bytesReceived || 0;
    });
    return bytes;
  }, name);
}

/** tileNames lists the names on the call view's remote tiles. */
function tileNames(dev) {
  return dev.page.evaluate(() => [...document.querySelectorAll('[data-testid="remote-tile"] [data-testid="remote-name"]')].map((n) => n.textContent).sort());
}

/** waitFor polls a condition in Node with a deadline. */
async function waitFor(what, fn, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await delay(200);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

function callLine(dev, result) {
  return dev.page.locator(`[data-testid="call-line"][data-result="${result}"]`);
}

async function finish(...devs) {
  for (const d of devs) {
    assert.deepEqual(d.dialogs, [], `${d.label} saw dialogs`);
    assert.deepEqual(d.errors, [], `${d.label} had uncaught page errors`);
  }
  for (const d of devs) await d.context.close();
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-calls-e2e-'));
  await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // A generated camera and microphone, granted without a prompt.
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    await Promise.race([proc.exited, delay(10_000)]);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('calls in the web demo', { timeout: 600_000 }, () => {
  test('a video call: the remote video receives frames, hang up, a call line in both timelines', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    await startChat(alice, bob);
    await alice.page.getByTestId('call-video-button').click();
    await alice.page.getByTestId('call-view').waitFor();
    await waitFor('Calling…', async () => (await alice.page.getByTestId('call-status').textContent()) === 'Calling…');

    const incoming = bob.page.getByTestId('incoming-call-dialog');
    await incoming.waitFor();
    await waitFor('the caller\'s name', async () => (await bob.page.getByTestId('incoming-title').textContent()) === 'Alice is video calling');
    await bob.page.getByTestId('incoming-accept').click();
    await incoming.waitFor({ state: 'hidden' });
    await bob.page.getByTestId('call-view').waitFor();

    // Media flows both ways: the received video bytes keep growing.
    for (const dev of [alice, bob]) {
      const first = await waitFor(`${dev.label}'s inbound video`, () => inboundVideoBytes(dev));
      await waitFor(`${dev.label}'s inbound video to grow`, async () => (await inboundVideoBytes(dev)) > first);
      await waitFor(`${dev.label}'s remote video to play`, () =>
        dev.page.evaluate(() => document.querySelector('[data-testid="remote-video"]').videoWidth > 0),
      );
      await waitFor(`${dev.label}'s call timer`, async () => /^\d+:\d\d$/.test(await dev.page.getByTestId('call-status').textContent()));
    }

    // The toggles change the local tracks.
    await bob.page.getByTestId('call-mute').click();
    assert.equal(await bob.page.getByTestId('call-mute').getAttribute('aria-pressed'), 'true');
    assert.equal(await bob.page.evaluate(() => document.querySelector('[data-testid="local-video"]').srcObject.getAudioTracks()[0].enabled), false);
    await bob.page.getByTestId('call-camera').click();
    assert.equal(await bob.page.evaluate(() => document.querySelector('[data-testid="local-video"]').srcObject.getVideoTracks()[0].enabled), false);

    await alice.page.getByTestId('call-hangup').click();
    for (const dev of [alice, bob]) await dev.page.getByTestId('call-view').waitFor({ state: 'hidden' });
    // Bob's chat was never open: he opens it from his list.
    await openChat(bob, 'Alice');
    for (const dev of [alice, bob]) {
      await callLine(dev, 'ended').waitFor();
      assert.match(await callLine(dev, 'ended').textContent(), /^Video call · \d+:\d\d · /);
    }
    await finish(alice, bob);
  });

  test('a group video call: a mesh of three, video from both others, leaving drops a tile, a call line in every timeline', async () => {
    const groupName = `Calls ${runID}`;
    const [alice, bob, carl] = await groupOfThree(groupName);
    await alice.page.getByTestId('call-video-button').click();
    // Whom to call: the other two, both checked.
    await alice.page.getByTestId('call-pick-dialog').waitFor();
    await waitFor('the members to call', async () => (await alice.page.getByTestId('call-pick-member').filter({ hasText: /^(Bob|Carl)$/ }).count()) === 2);
    assert.equal(await alice.page.locator('[data-testid="call-pick-member"] input:checked').count(), 2);
    await alice.page.getByTestId('call-pick-submit').click();
    await alice.page.getByTestId('call-view').waitFor();
    for (const dev of [bob, carl]) {
      const incoming = dev.page.getByTestId('incoming-call-dialog');
      await incoming.waitFor();
      await waitFor(`${dev.label}'s invitation`, async () => (await dev.page.getByTestId('incoming-title').textContent()) === 'Alice is video calling the group');
      await dev.page.getByTestId('incoming-accept').click();
      await incoming.waitFor({ state: 'hidden' });
      await dev.page.getByTestId('call-view').waitFor();
    }

    // Each of the three receives growing video from each of the other two.
    const all = [alice, bob, carl];
    for (const dev of all) {
      const others = all.filter((d) => d !== dev).map((d) => d.nickname);
      await waitFor(`${dev.label}'s tiles`, async () => JSON.stringify(await tileNames(dev)) === JSON.stringify(others));
      for (const name of others) {
        const first = await waitFor(`${dev.label}'s video from ${name}`, () => inboundVideoFrom(dev, name));
        await waitFor(`${dev.label}'s video from ${name} to grow`, async () => (await inboundVideoFrom(dev, name)) > first);
      }
      await waitFor(`${dev.label}'s call timer`, async () => /^\d+:\d\d$/.test(await dev.page.getByTestId('call-status').textContent()));
    }

    // Alice leaves: the call goes on between Bob and Carl, without her tile.
    await alice.page.getByTestId('call-hangup').click();
    await alice.page.getByTestId('call-view').waitFor({ state: 'hidden' });
    await waitFor("Bob's tiles without Alice", async () => JSON.stringify(await tileNames(bob)) === '["Carl"]');
    await waitFor("Carl's tiles without Alice", async () => JSON.stringify(await tileNames(carl)) === '["Bob"]');
    const first = await inboundVideoFrom(carl, 'Bob');
    await waitFor("Carl's video from Bob to grow after Alice left", async () => (await inboundVideoFrom(carl, 'Bob')) > first);

    // Bob leaves too: fewer than two are left, the call ends for Carl.
    await bob.page.getByTestId('call-hangup').click();
    for (const dev of [bob, carl]) await dev.page.getByTestId('call-view').waitFor({ state: 'hidden' });
    for (const dev of [bob, carl]) await openChat(dev, groupName);
    for (const dev of all) {
      await callLine(dev, 'ended').waitFor();
      assert.match(await callLine(dev, 'ended').textContent(), /^Video call · \d+:\d\d · /);
    }
    await finish(alice, bob, carl);
  });

  test('a group call to a chosen member: only they ring', async () => {
    const groupName = `Pick ${runID}`;
    const [alice, bob, carl] = await groupOfThree(groupName);
    await alice.page.getByTestId('call-audio-button').click();
    await alice.page.getByTestId('call-pick-member').filter({ hasText: /^Carl$/ }).locator('input').uncheck();
    await alice.page.getByTestId('call-pick-submit').click();
    await bob.page.getByTestId('incoming-call-dialog').waitFor();
    await bob.page.getByTestId('incoming-accept').click();
    await waitFor("Bob's call timer", async () => /^\d+:\d\d$/.test(await bob.page.getByTestId('call-status').textContent()));
    // Bob's invitation came and was answered: Carl's, had there been one, came with it.
    assert.equal(await carl.page.evaluate(() => document.querySelector('[data-testid="incoming-call-dialog"]').open), false);
    await bob.page.getByTestId('call-hangup').click();
    for (const dev of [alice, bob]) await dev.page.getByTestId('call-view').waitFor({ state: 'hidden' });
    await openChat(carl, groupName);
    await callLine(carl, 'ended').waitFor();
    assert.match(await callLine(carl, 'ended').textContent(), /^Voice call · \d+:\d\d · /);
    await finish(alice, bob, carl);
  });

  test('a missed call, and a call declined on one of two devices', async () => {
    const carol = await newUser('Carol');
    const dan = await newUser('Dan');
    const dan2 = await secondDevice(dan);
    await startChat(carol, dan);

    // Nobody answers: after the call timeout it is missed everywhere.
    await carol.page.getByTestId('call-audio-button').click();
    for (const d of [dan, dan2]) await d.page.getByTestId('incoming-call-dialog').waitFor();
    for (const d of [dan, dan2]) await d.page.getByTestId('incoming-call-dialog').waitFor({ state: 'hidden' });
    await carol.page.getByTestId('call-view').waitFor({ state: 'hidden' });
    await callLine(carol, 'missed').waitFor();
    assert.match(await callLine(carol, 'missed').textContent(), /^Voice call · no answer/);
    await openChat(dan, 'Carol');
    await callLine(dan, 'missed').waitFor();
    assert.match(await callLine(dan, 'missed').textContent(), /^Missed voice call/);

    // Both of Dan's devices ring; declining on one stops the other.
    await carol.page.getByTestId('call-video-button').click();
    for (const d of [dan, dan2]) await d.page.getByTestId('incoming-call-dialog').waitFor();
    await dan2.page.getByTestId('incoming-decline').click();
    await dan.page.getByTestId('incoming-call-dialog').waitFor({ state: 'hidden' });
    await carol.page.getByTestId('call-view').waitFor({ state: 'hidden' });
    await callLine(carol, 'rejected').waitFor();
    await callLine(dan, 'rejected').waitFor();
    assert.match(await callLine(dan, 'rejected').textContent(), /^Video call · declined/);
    await finish(carol, dan, dan2);
  });
});
