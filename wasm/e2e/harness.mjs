// What the browser suites of wasm/e2e share: a real parleyd on a free
// loopback port (its admin API, its /metrics) and Debian's Chromium.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(process.env.PARLEY_ROOT || path.join(here, '..', '..'));
export const dist = path.join(root, 'wasm', 'dist');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ADMIN = 'e2e-admin-secret';

export function delay(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function freePort() {
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

export function parleydBinary(tmp) {
  if (process.env.PARLEYD_BIN) return path.resolve(process.env.PARLEYD_BIN);
  const bin = path.join(tmp, 'parleyd');
  execFileSync('go', ['build', '-o', bin, './cmd/parleyd'], { cwd: root, stdio: 'inherit', timeout: 600_000 });
  return bin;
}

/** parleyd serving wasm/dist at /sdk/, with a data folder of its own and any further flags. */
export class Parleyd {
  constructor(bin, port, dataDir, flags = []) {
    Object.assign(this, { bin, port, dataDir, flags, url: `http://127.0.0.1:${port}`, proc: null, log: [] });
  }

  async start() {
    const proc = spawn(
      this.bin,
      ['-addr', `127.0.0.1:${this.port}`, '-data', this.dataDir, '-admin-secret', ADMIN, '-sdk-dir', dist, ...this.flags],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    proc.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    const keep = (chunk) => {
      this.log.push(...String(chunk).split('\n').filter(Boolean));
      if (this.log.length > 300) this.log.splice(0, this.log.length - 300);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    let exited = null;
    proc.exited.then((e) => (exited = e));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`parleyd exited (${JSON.stringify(exited)}):\n${this.tail()}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await delay(100);
    }
    throw new Error(`parleyd not healthy within 60s:\n${this.tail()}`);
  }

  async stop() {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    if (!(await Promise.race([proc.exited, delay(10_000).then(() => null)]))) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
  }

  tail() {
    return this.log.slice(-40).join('\n');
  }

  async admin(route, body) {
    const res = await fetch(`${this.url}/api/v1/admin/${route}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`admin ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async user(userID, nickname) {
    await this.admin('users', { userID, nickname, faceURL: '' });
  }

  async token(userID, platform = 'web') {
    return (await this.mint(userID, platform)).token;
  }

  /** A token of the user with its expiry: {token, expiresAt}. */
  mint(userID, platform = 'web') {
    return this.admin('tokens', { userID, platform });
  }

  /** The open WebSocket connections, as parleyd's /metrics counts them. */
  async connections() {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const m = text.match(/^parley_ws_connections (\d+)$/m);
    if (!m) throw new Error('/metrics has no parley_ws_connections');
    return Number(m[1]);
  }
}

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The test page is fulfilled by playwright, so Chromium cannot tell
      // its address space and would block its WebSocket to loopback as a
      // public page reaching the local network.
      '--disable-features=LocalNetworkAccessChecks',
    ],
  });
}
