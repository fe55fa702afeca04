// `wasmlet run` with WASI 0.2 command components, end to end: spawns the published entry point
// (bin/wasmlet.js -> dist/) the way a user runs it, plus the library API (`runWasi` with
// component bytes) in process.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWasi } from '../../src/engine/run-module.ts';
import { buildCComponent, buildCliCommandComponent } from '../support/components.ts';
import { repoRoot } from '../support/fixtures.ts';
import { ensureDist } from '../support/dist.ts';

const node = join(repoRoot, 'node_modules/.bin/node');
const bin = join(repoRoot, 'bin/wasmlet.js');
const work = mkdtempSync(join(tmpdir(), 'wasmlet-run-component-'));
const cacheDir = join(work, 'cache');
let jsCommand = '';
let cHello = '';
let cLoop = '';
let cGrow = '';

before(async () => {
  // `npm test` builds dist/ first; rebuild here only when src/ is newer, so a single-file run works too.
  ensureDist();
  [jsCommand, cHello, cLoop, cGrow] = await Promise.all([
    buildCliCommandComponent(),
    buildCComponent('test/fixtures/components/c-hello/hello.c'),
    buildCComponent('test/fixtures/components/c-loop/loop.c'),
    buildCComponent('test/fixtures/run/grow.c'),
  ]);
});

interface Run { status: number | null; stdout: string; stderr: string }

function wasmlet(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(node, [bin, ...args], {
    cwd: work, input: '', encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', WASMLET_CACHE_DIR: cacheDir, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('componentize-js command: args after --, --env, a --dir-ro file, exit code', () => {
  const data = join(work, 'data');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'input.txt'), 'from the preopen');
  const ok = wasmlet(['run', '--dir-ro', `${data}::/data`, '--env', 'GREETING=hi', jsCommand, '--', '--flag', 'x y']);
  assert.equal(ok.stderr, 'to-stderr\n');
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, [
    `args=${JSON.stringify([jsCommand, '--flag', 'x y'])}`,
    'env=[["GREETING","hi"]]',
    'preopens=["/data"]',
    'input=from the preopen',
    '',
  ].join('\n'));
  const failing = wasmlet(['run', '--env', 'EXIT_CODE=9', jsCommand]);
  assert.equal(failing.status, 1); // wasi:cli/exit.exit(err): the only non-zero code 0.2 has
  assert.match(failing.stdout, /^args=/);
  // The transpile went to $WASMLET_CACHE_DIR, once.
  assert.equal(readdirSync(join(cacheDir, 'components')).filter((n) => !n.endsWith('.tmp')).length, 1);
});

test('C program through the preview1 adapter: stdout, stderr, exit code', () => {
  const r = wasmlet(['run', cHello, 'a']);
  assert.equal(r.stdout, `hello from c\nargv[0]=${cHello}\nargv[1]=a\n`);
  assert.equal(r.stderr, 'c-stderr\n');
  assert.equal(r.status, 0);
  assert.equal(wasmlet(['run', cHello, '3']).status, 1); // the adapter maps proc_exit(n != 0) to exit(err)
});

test('--timeout stops a looping component (exit 124) after its output got through', () => {
  const r = wasmlet(['run', '--timeout', '300ms', cLoop]);
  assert.equal(r.status, 124);
  assert.equal(r.stdout, 'looping\n');
  assert.match(r.stderr, /ran longer than its 300 ms timeout/);
});

test('--max-memory caps the component\'s memory: malloc fails inside the guest', () => {
  const r = wasmlet(['run', '--max-memory', '8MiB', cGrow]);
  assert.equal(r.status, 0);
  const n = Number(/^allocated (\d+) MiB/.exec(r.stdout)?.[1]);
  assert.ok(n >= 1 && n < 8, r.stdout);
});

test('--invoke and --trace are refused for components with a usage error', () => {
  const inv = wasmlet(['run', '--invoke', 'f', cHello]);
  assert.equal(inv.status, 2);
  assert.match(inv.stderr, /wasi:cli\/run/);
  assert.equal(wasmlet(['run', '--trace', cHello]).status, 2);
});

test('runWasi takes component bytes; a guest exit ends that instance only', async () => {
  const bytes = readFileSync(jsCommand);
  const exited = await runWasi(bytes, { env: { EXIT_CODE: '4' }, cacheDir });
  assert.equal(exited.exitCode, 1);
  const again = await runWasi(bytes, { args: ['p', 'again'], cacheDir, timeoutMs: 20_000 });
  assert.equal(again.exitCode, 0);
  assert.match(Buffer.from(again.stdout!).toString(), /^args=\["p","again"\]\n/);
  assert.equal(Buffer.from(again.stderr!).toString(), 'to-stderr\n');
});
