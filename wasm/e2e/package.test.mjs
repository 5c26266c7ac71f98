// Checks of the built npm package in wasm/dist (after ./build.sh), without a
// browser: the files the issue names, package.json's fields, `npm pack`, and
// that index.d.ts and index.js agree with the generated surface.gen.js on the
// client's methods and events. (The Go tests in wasm/ hold surface.gen.js,
// index.d.ts and the Go bindings to the table in wasm/surface.go.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.env.PARLEY_ROOT || path.join(here, '..', '..'));
const dist = path.join(root, 'wasm', 'dist');
const FILES = ['package.json', 'index.js', 'runtime.js', 'host.js', 'worker.js', 'surface.gen.js', 'index.d.ts', 'parley.wasm', 'wasm_exec.js', 'README.md'];

test('wasm/dist holds the package files', () => {
  for (const f of FILES) assert.ok(existsSync(path.join(dist, f)), `${f} missing: run ./build.sh`);
  const wasm = readFileSync(path.join(dist, 'parley.wasm'));
  assert.deepEqual([...wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'parley.wasm is WebAssembly');
});

test('package.json names, exports and types', () => {
  const pkg = JSON.parse(readFileSync(path.join(dist, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'parley-sdk');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.types, './index.d.ts');
  assert.equal(pkg.exports['.'].default, './index.js');
  assert.equal(pkg.exports['.'].types, './index.d.ts');
  for (const f of ['index.js', 'runtime.js', 'host.js', 'worker.js', 'surface.gen.js', 'index.d.ts', 'parley.wasm', 'wasm_exec.js']) assert.ok(pkg.files.includes(f), `files lacks ${f}`);
});

test('npm pack includes every file', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: dist, encoding: 'utf8' });
  const [info] = JSON.parse(out);
  assert.equal(info.name, 'parley-sdk');
  const packed = info.files.map((f) => f.path).sort();
  assert.deepEqual(packed, [...FILES].sort());
});

test('index.d.ts and index.js have the methods and events of surface.gen.js', async () => {
  const dts = readFileSync(path.join(dist, 'index.d.ts'), 'utf8');
  const cls = dts.slice(dts.indexOf('export declare class ParleyClient'));
  const declared = new Set([...cls.matchAll(/^ {2}(\w+)(?:<[^>]*>)?\(/gm)].map((m) => m[1]));

  const { methods, events } = await import(path.join(dist, 'surface.gen.js'));
  const surface = [...Object.keys(methods), 'on'].sort();
  assert.ok(surface.length > 20, 'surface.gen.js lists the methods');
  assert.deepEqual([...declared].sort(), surface, 'index.d.ts and surface.gen.js differ');

  const { ParleyClient } = await import(path.join(dist, 'index.js'));
  const implemented = Object.getOwnPropertyNames(ParleyClient.prototype).filter((n) => n !== 'constructor');
  assert.deepEqual(implemented.sort(), surface, 'index.js and surface.gen.js differ');
  for (const [name, arity] of Object.entries(methods)) {
    assert.equal(ParleyClient.prototype[name].length, arity, `ParleyClient.${name} takes ${arity} argument(s)`);
    assert.equal(ParleyClient.prototype[name].name, name);
  }

  const eventMap = dts.slice(dts.indexOf('export interface EventMap'), dts.indexOf('export type EventName'));
  assert.ok(events.length >= 4);
  for (const e of events) assert.match(eventMap, new RegExp(`\\b${e}:`), `index.d.ts lacks event ${e}`);
});
