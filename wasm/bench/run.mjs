// Runs the browser benchmark of the Parley SDK headless in Debian's
// Chromium and prints the results as JSON on stdout (progress on stderr).
//
//   ./build.sh && cd wasm/bench && npm ci && node run.mjs
//
// It starts its own parleyd (fresh data folder, free port) whose -sdk-dir is
// a copy of wasm/dist with page/bench.html and page/bench.js added, so the
// page and the SDK share the server's origin exactly as an app's would.
// Data is created server-side with `parley-bench -scenario seed`:
//   1. 1,000 conversations with 1 message each; the SDK's first sync.
//   2. 49 more messages in each (50,000 in all); the SDK catches up, so its
//      IndexedDB holds 1,000 conversations and 50,000 messages.
//   3. Cold start on that store: createClient, login, first
//      getConversationList page (from IndexedDB; login does not wait for
//      the network). Repeated, each in a new page.
//   4. 10,000 more messages (100 conversations x 100); catch-up timed from
//      login until newMessages has announced all 10,000, with the page's
//      long tasks (Long Tasks API: main-thread tasks over 50 ms) counted
//      meanwhile; then 10,000 more the same way with sharing 'off', the SDK
//      on the page's main thread, to compare.
// wasm download/compile/instantiate is timed first, in an empty context.
//
// Environment: PARLEYD_BIN, PARLEY_BENCH_BIN (built when unset),
// CHROMIUM_BIN (default /usr/bin/chromium), PARLEY_ROOT (default ../..),
// BENCH_LONG_TASKS_ONLY (when set, phases 2 and 3 are skipped: a first sync
// of the 100 conversations, then the two catch-ups of phase 4),
// BENCH_REPEAT (cold starts to time, default 5), BENCH_DIST (the SDK
// package to serve instead of wasm/dist, e.g. one built another way, for
// an alternating comparison), BENCH_BUILD_WASM (when
// set, parley.wasm is built from the current source into the copy, as
// ./build.sh would, instead of taken from wasm/dist), BENCH_PROFILE_DIR (when
// set, the first cold start and the 10,000-message catch-up are profiled
// with the DevTools CPU profiler, on the page and in the SharedWorker that
// hosts the SDK (name-sharedworker.cpuprofile, from the worker's first
// line): .cpuprofile files, loadable in Chrome's Performance panel, and a
// summary of where the time went in the JSON), BENCH_FIRST_LIST_SHARING
// (createClient's sharing for the cold starts, default 'auto'; 'off' runs
// the SDK on the page, to tell the worker's cost from the SDK's).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

// playwright-core's WebSocket client, for a second DevTools connection that
// reaches the SharedWorker's target (which playwright does not expose).
const { ws: WebSocketClient } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.env.PARLEY_ROOT || path.join(here, '..', '..'));
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const REPEAT = Number(process.env.BENCH_REPEAT || 5);
const CONVERSATIONS = 1000;
// build.sh's compiler flags (inlining off outside the runtime and
// encoding/json), so that a build here is the release's code.
const buildShGcflags = ['-gcflags=all=-l', '-gcflags=runtime=', '-gcflags=encoding/json='];
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

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

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

function build(tmp, envName, pkg, name) {
  if (process.env[envName]) return path.resolve(process.env[envName]);
  const bin = path.join(tmp, name);
  log(`building ${pkg}`);
  execFileSync('go', ['build', '-o', bin, pkg], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  return bin;
}

async function startParleyd(bin, port, dataDir, sdkDir, secret) {
  const proc = spawn(bin, ['-addr', `127.0.0.1:${port}`, '-data', dataDir, '-sdk-dir', sdkDir, '-admin-secret', secret, '-log-level', 'warn'], {
    cwd: root,
    // The seeding dials 1,000 peers from one IP as fast as it can: the
    // per-IP and per-connection limits would refuse it (429).
    env: {
      ...process.env,
      PARLEY_HANDSHAKE_RATE_PER_IP: '100000',
      PARLEY_MAX_CONNS_PER_IP: '100000',
      PARLEY_RATE_LIMIT: '100000',
      PARLEY_USER_RATE_LIMIT: '100000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs = [];
  proc.stderr.on('data', (c) => logs.push(String(c)));
  proc.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`parleyd exited: ${logs.join('')}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return { proc, url, logs };
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  proc.kill('SIGKILL');
  throw new Error('parleyd did not become healthy within 60 s');
}

async function stopParleyd(p) {
  if (!p || p.proc.exitCode !== null) return;
  p.proc.kill('SIGTERM');
  const done = await Promise.race([p.proc.exited, delay(15_000).then(() => null)]);
  if (!done) {
    p.proc.kill('SIGKILL');
    await p.proc.exited;
  }
}

function seed(benchBin, url, secret, conversations, perConv) {
  log(`seeding: ${conversations} conversations x ${perConv} messages`);
  const out = execFileSync(benchBin, [
    '-scenario', 'seed', '-server', url, '-admin-secret', secret, '-prefix', 'bb', '-user', 'bb-u',
    '-conversations', String(conversations), '-per-conv', String(perConv), '-json',
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  const r = JSON.parse(out);
  return { userID: r.params.userID, token: r.params.token, seedRate: r.metrics.find((m) => m.name === 'seeding rate')?.value };
}

function machine() {
  const cpu = os.cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model,
    memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// devtools is a raw DevTools connection to the browser (its
// --remote-debugging-port): it profiles every SharedWorker from its first
// line, which playwright's sessions cannot reach. Each worker is held at
// its start (waitForDebuggerOnStart) until its profiler runs.
async function devtools(port) {
  const { webSocketDebuggerUrl } = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
  const sock = new WebSocketClient(webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => {
    sock.once('open', resolve);
    sock.once('error', reject);
  });
  let next = 0;
  const pending = new Map();
  const workers = new Map(); // sessionId -> {url, started}
  let profiling = false;
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    const id = ++next;
    pending.set(id, { resolve, reject });
    sock.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
  });
  sock.on('message', async (data) => {
    const m = JSON.parse(String(data));
    if (m.id) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${m.error.message}`));
      else p?.resolve(m.result);
      return;
    }
    if (m.method === 'Target.attachedToTarget') {
      const { sessionId, targetInfo } = m.params;
      const w = { url: targetInfo.url, started: false };
      workers.set(sessionId, w);
      try {
        if (profiling) {
          await send('Profiler.enable', {}, sessionId);
          await send('Profiler.setSamplingInterval', { interval: 500 }, sessionId);
          await send('Profiler.start', {}, sessionId);
          w.started = true;
        }
      } finally {
        await send('Runtime.runIfWaitingForDebugger', {}, sessionId).catch(() => {});
      }
    } else if (m.method === 'Target.detachedFromTarget') {
      workers.delete(m.params.sessionId);
    }
  });
  await send('Target.setAutoAttach', {
    autoAttach: true, waitForDebuggerOnStart: true, flatten: true,
    filter: [{ type: 'shared_worker', exclude: false }, { exclude: true }],
  });
  return {
    // Profiles the SharedWorkers started from now on.
    start() {
      profiling = true;
    },
    // Stops them and returns their profiles (before their page closes).
    async stop() {
      profiling = false;
      const out = [];
      for (const [sessionId, w] of workers) {
        if (!w.started) continue;
        w.started = false;
        const { profile } = await send('Profiler.stop', {}, sessionId);
        out.push(profile);
      }
      return out;
    },
    close: () => sock.close(),
  };
}

// summarize is a profile's self time by kind (wasm code, the Go JS glue,
// other JS including the IndexedDB calls it makes, garbage collection,
// idle) and its top functions.
function summarize(profile, file) {
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    dt.set(profile.samples[i], (dt.get(profile.samples[i]) || 0) + (profile.timeDeltas[i] || 0));
  }
  const kinds = {};
  const top = new Map();
  for (const n of profile.nodes) {
    const us = dt.get(n.id) || 0;
    if (!us) continue;
    const { functionName: fnName, url } = n.callFrame;
    let kind = 'other JS';
    if (url.startsWith('wasm://') || url.endsWith('.wasm') || /^\$?wasm-function/.test(fnName)) kind = 'wasm';
    else if (url.endsWith('wasm_exec.js')) kind = 'Go JS glue (wasm_exec.js)';
    else if (fnName === '(idle)') kind = 'idle (waiting: IndexedDB, network)';
    else if (fnName === '(garbage collector)') kind = 'JS garbage collector';
    else if (fnName === '(program)') kind = 'browser (program)';
    kinds[kind] = (kinds[kind] || 0) + us / 1000;
    const key = `${fnName || '(anonymous)'} ${url.split('/').pop()}`;
    top.set(key, (top.get(key) || 0) + us / 1000);
  }
  const round1 = (x) => Math.round(x * 10) / 10;
  return {
    file,
    selfMsByKind: Object.fromEntries(Object.entries(kinds).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round1(v)])),
    topSelfMs: [...top.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => [k, round1(v)]),
  };
}

// profiled runs fn with the DevTools CPU profiler on page when
// BENCH_PROFILE_DIR is set, saves the profile and returns fn's result with
// a summary: self time by kind (wasm code, the Go JS glue, other JS
// including the IndexedDB calls it makes, garbage collection, idle).
async function profiled(page, name, fn, dt) {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return fn();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  dt?.start();
  const result = await fn();
  const { profile } = await cdp.send('Profiler.stop');
  const workerProfiles = dt ? await dt.stop() : [];
  await cdp.detach();
  mkdirSync(dir, { recursive: true });
  const file = path.join(path.resolve(dir), `${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const workers = workerProfiles.map((p, i) => {
    const f = path.join(path.resolve(dir), `${name}-sharedworker${i ? i + 1 : ''}.cpuprofile`);
    writeFileSync(f, JSON.stringify(p));
    return summarize(p, f);
  });
  return { ...result, profile: summarize(profile, file), ...(workers.length ? { sharedWorkerProfiles: workers } : {}) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

async function main() {
  const dist = process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(root, 'wasm', 'dist');
  if (!existsSync(path.join(dist, 'index.js')) || !existsSync(path.join(dist, 'parley.wasm'))) {
    throw new Error('wasm/dist is missing: run ./build.sh first');
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-browser-bench-'));
  let server;
  let browser;
  let dt = null;
  try {
    const sdkDir = path.join(tmp, 'sdk');
    cpSync(dist, sdkDir, { recursive: true });
    cpSync(path.join(here, 'page'), sdkDir, { recursive: true });
    if (process.env.BENCH_BUILD_WASM) {
      // Measure the SDK as the source is now, without touching wasm/dist:
      // the same build as ./build.sh, into the copy.
      log('building parley.wasm from source (as ./build.sh does)');
      execFileSync('go', ['build', '-trimpath', ...buildShGcflags, '-ldflags=-s -w', '-o', path.join(sdkDir, 'parley.wasm'), './wasm'], {
        cwd: root, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000,
      });
      execFileSync('go', ['run', './cmd/wasmpack', path.join(sdkDir, 'parley.wasm')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
      for (const f of ['index.js', 'runtime.js', 'host.js', 'worker.js', 'surface.gen.js', 'index.d.ts', 'package.json']) cpSync(path.join(root, 'wasm', f), path.join(sdkDir, f));
      const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
      cpSync(path.join(goroot, 'lib', 'wasm', 'wasm_exec.js'), path.join(sdkDir, 'wasm_exec.js'));
    }
    if (process.env.BENCH_PROFILE_DIR) {
      // Profiles name Go functions only with the wasm name section, which
      // the release build strips: profile an unstripped build of the same
      // source (larger, so its load times are not the release's).
      log('building an unstripped parley.wasm for profiling');
      execFileSync('go', ['build', '-trimpath', ...buildShGcflags, '-o', path.join(sdkDir, 'parley.wasm'), './wasm'], {
        cwd: root, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000,
      });
    }
    const parleyd = build(tmp, 'PARLEYD_BIN', './cmd/parleyd', 'parleyd');
    const benchBin = build(tmp, 'PARLEY_BENCH_BIN', './cmd/parley-bench', 'parley-bench');
    const secret = 'bench-' + Math.random().toString(36).slice(2);
    server = await startParleyd(parleyd, await freePort(), path.join(tmp, 'data'), sdkDir, secret);
    const pageURL = `${server.url}/sdk/bench.html`;
    log(`parleyd at ${server.url}`);

    // Profiling reaches the SharedWorker through a second DevTools
    // connection, on a port.
    const debugPort = process.env.BENCH_PROFILE_DIR ? await freePort() : 0;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        ...(debugPort ? [`--remote-debugging-port=${debugPort}`] : [])],
    });
    dt = debugPort ? await devtools(debugPort) : null;
    const openPage = async (context) => {
      const page = await context.newPage();
      page.on('pageerror', (e) => log('page error:', e.message));
      await page.goto(pageURL);
      await page.waitForFunction(() => window.bench !== undefined, null, { timeout: 60_000 });
      return page;
    };
    const results = { date: new Date().toISOString(), machine: machine(), browser: browser.version(), profiled: Boolean(process.env.BENCH_PROFILE_DIR) };
    const wasm = readFileSync(path.join(sdkDir, 'parley.wasm'));
    results.wasmBytes = wasm.length;
    results.wasmGzipBytes = gzipSync(wasm, { level: 9 }).length;
    results.wasmBuiltFromSource = Boolean(process.env.BENCH_BUILD_WASM);

    // wasm load, cold: a fresh context has an empty cache.
    {
      const ctx = await browser.newContext();
      const page = await openPage(ctx);
      log('timing wasm download, compile, instantiate');
      results.pageReadyMs = await page.evaluate(() => window.benchReadyMs);
      results.wasmLoad = await page.evaluate(() => window.bench.wasmLoad());
      await ctx.close();
    }

    const ctx = await browser.newContext(); // its IndexedDB lives as long as it does
    const dbName = 'bench';
    const longTasksOnly = Boolean(process.env.BENCH_LONG_TASKS_ONLY);
    const firstListSharing = process.env.BENCH_FIRST_LIST_SHARING || undefined;
    results.longTasksOnly = longTasksOnly;
    const conversations = longTasksOnly ? 100 : CONVERSATIONS;
    let u = seed(benchBin, server.url, secret, conversations, 1);
    {
      const page = await openPage(ctx);
      log(`first sync of ${conversations} conversations`);
      results.firstSync = await page.evaluate((a) => window.bench.firstSync(a),
        { serverURL: server.url, userID: u.userID, token: u.token, dbName, conversations });
      await page.close();
    }
    let seqBefore = 1; // of the conversation the catch-ups read back
    if (!longTasksOnly) {
      seqBefore = 50;
      u = seed(benchBin, server.url, secret, CONVERSATIONS, 49);
      results.seedRateMsgPerSecond = u.seedRate;
      {
        const page = await openPage(ctx);
        log('catching up 49,000 messages (store then holds 50,000)');
        results.catchUp49k = await page.evaluate((a) => window.bench.catchUp(a),
          { serverURL: server.url, userID: u.userID, token: u.token, dbName, messages: 49_000, verifyConversationID: 'si_bb-p0_bb-u', verifySeq: 50 });
        await page.close();
      }
      results.firstList = [];
      results.firstListSharing = firstListSharing ?? 'auto';
      for (let i = 0; i < REPEAT; i++) {
        const page = await openPage(ctx);
        log(`cold start on 1,000 conversations / 50,000 messages (${i + 1}/${REPEAT})`);
        const run = () => page.evaluate((a) => window.bench.firstList(a),
          { serverURL: server.url, userID: u.userID, token: u.token, dbName, count: 50, conversations: CONVERSATIONS, sharing: firstListSharing });
        results.firstList.push(i === 0 ? await profiled(page, 'first-list', run, dt) : await run());
        await page.close();
      }
      results.firstListMedian = {
        createClientMs: median(results.firstList.map((r) => r.createClientMs)),
        loginMs: median(results.firstList.map((r) => r.loginMs)),
        firstPageSinceLoginStartMs: median(results.firstList.map((r) => r.firstPageSinceLoginStartMs)),
        fullListMs: median(results.firstList.map((r) => r.fullListMs)),
      };
    }
    u = seed(benchBin, server.url, secret, 100, 100);
    {
      const page = await openPage(ctx);
      log('catching up 10,000 messages');
      results.catchUp10k = await profiled(page, 'catch-up-10k', () => page.evaluate((a) => window.bench.catchUp(a),
        { serverURL: server.url, userID: u.userID, token: u.token, dbName, messages: 10_000, verifyConversationID: 'si_bb-p0_bb-u', verifySeq: seqBefore + 100 }), dt);
      await page.close();
    }
    u = seed(benchBin, server.url, secret, 100, 100);
    {
      const page = await openPage(ctx);
      log("catching up 10,000 messages with sharing 'off' (the SDK on the page)");
      results.catchUp10kOnPage = await page.evaluate((a) => window.bench.catchUp(a),
        { serverURL: server.url, userID: u.userID, token: u.token, dbName, messages: 10_000, verifyConversationID: 'si_bb-p0_bb-u', verifySeq: seqBefore + 200, sharing: 'off' });
      await page.close();
    }
    await ctx.close();
    results.machine.loadavgAfter = os.loadavg().map((x) => Math.round(x * 100) / 100);
    results.targets = {
      firstListWithinMsOfLogin: 150,
      catchUp10kStoredWithinMs: 2000,
      catchUp10kLongestMainThreadTaskMs: 50,
    };
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } finally {
    dt?.close();
    if (browser) await browser.close().catch(() => {});
    await stopParleyd(server);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error('browser bench failed:', err);
  process.exitCode = 1;
});
