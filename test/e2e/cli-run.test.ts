// `wasmlet run` end to end: spawns the published entry point (bin/wasmlet.js -> dist/) the way a
// user runs it, and checks exit statuses, stderr lines and guest-visible behaviour.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, buildWat, repoRoot } from '../support/fixtures.ts';
import { ensureDist } from '../support/dist.ts';

const node = join(repoRoot, 'node_modules/.bin/node');
const bin = join(repoRoot, 'bin/wasmlet.js');

// `npm test` builds dist/ first; rebuild here only when src/ is newer, so a single-file run works too.
before(() => {
  ensureDist();
});

interface Run { status: number | null; stdout: string; stderr: string; ms: number }

function wasmlet(args: string[], opts: { input?: string | Uint8Array; env?: Record<string, string>; cwd?: string } = {}): Run {
  const t0 = performance.now();
  const r = spawnSync(node, [bin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    input: opts.input ?? '',
    env: { PATH: process.env['PATH'] ?? '', ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** Asserts stderr is exactly one `wasmlet: error:` line matching `pattern` (and no stack trace). */
function assertOneErrorLine(r: Run, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^wasmlet: error: /);
  assert.match(lines[0]!, pattern);
}

const fx = (name: string) => join(repoRoot, 'test/fixtures/run', name);

test('a guest\'s proc_exit(n) is the exit status, and its output reaches stdout', () => {
  const wasm = buildC(fx('exit-code.c'));
  for (const code of [0, 3, 42]) {
    const r = wasmlet(['run', wasm, String(code)]);
    assert.equal(r.status, code, r.stderr);
    assert.equal(r.stdout, `exiting with ${code}\n`);
  }
});

test('guest args follow the module (with or without --), argv[0] is the module path as given', () => {
  const wasm = buildC(fx('args-env.c'));
  const rel = wasm.slice(repoRoot.length + 1);
  const r = wasmlet(['run', rel, '--', 'a b', '--flag', '-x']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `argv[0]=${rel}\nargv[1]=a b\nargv[2]=--flag\nargv[3]=-x\n`);
  const r2 = wasmlet(['run', rel, 'one', '--two']);
  assert.equal(r2.stdout, `argv[0]=${rel}\nargv[1]=one\nargv[2]=--two\n`);
});

test('--env sets NAME=VALUE, --env NAME passes the host value through, nothing else leaks', () => {
  const wasm = buildC(fx('args-env.c'));
  const r = wasmlet(['run', '--env', 'GREETING=hello=world', '--env', 'FROM_HOST', '--env', 'UNSET_ON_HOST', wasm],
    { env: { FROM_HOST: 'passed', SECRET: 'not-for-guest' } });
  assert.equal(r.status, 0, r.stderr);
  const env = r.stdout.split('\n').filter((l) => l.startsWith('env:')).sort();
  assert.deepEqual(env, ['env:FROM_HOST=passed', 'env:GREETING=hello=world']);
});

test('a trap exits 1 with one line naming the trap and the function', async () => {
  const r = wasmlet(['run', await buildWat(fx('trap.wat'))]);
  assert.equal(r.status, 1);
  assertOneErrorLine(r, /wasm trap: unreachable.* in function `crash` \(func\[0\]/);
});

test('files the module cannot be run from are one-line errors with exit status 125', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-cli-'));
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['text.wasm', '(module)', /not a WebAssembly binary/],
    ['truncated.wasm', readFileSync(buildC(fx('exit-code.c'))).subarray(0, 300), /truncated/],
    ['component.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), /component/],
    ['invalid.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0a, 0x02, 0x01, 0x00]) /* 1 body, 0 functions */, /invalid WebAssembly module/],
  ];
  for (const [name, bytes, pattern] of cases) {
    writeFileSync(join(dir, name), bytes);
    const r = wasmlet(['run', join(dir, name)]);
    assert.equal(r.status, 125, `${name}: ${r.stderr}`);
    assertOneErrorLine(r, pattern);
  }
  const missing = wasmlet(['run', join(dir, 'nope.wasm')]);
  assert.equal(missing.status, 125);
  assertOneErrorLine(missing, /cannot read module .*nope\.wasm.*no such file/);
});

test('an unknown import is named with its kind, exit status 125', async () => {
  const r = wasmlet(['run', await buildWat(fx('unknown-import.wat'))]);
  assert.equal(r.status, 125);
  assertOneErrorLine(r, /unknown import `env\.host_log` \(function\)/);
});

test('--timeout stops an infinite loop with exit status 124', async () => {
  const r = wasmlet(['run', '--timeout', '300ms', await buildWat(fx('loop.wat'))]);
  assert.equal(r.status, 124);
  assertOneErrorLine(r, /ran longer than its 300 ms timeout/);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});

test('--timeout leaves a guest that finishes in time alone, stdin and stdout still work', () => {
  const r = wasmlet(['run', '--timeout', '20s', buildC(fx('cat.c'))], { input: 'through the worker\n' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'through the worker\n');
  assert.equal(r.stderr, '19 bytes\n');
});

test('--max-memory makes malloc fail inside the guest, which goes on running', () => {
  const wasm = buildC(fx('grow.c'));
  const capped = wasmlet(['run', '--max-memory', '8MiB', wasm]);
  assert.equal(capped.status, 0, capped.stderr);
  const got = Number(/allocated (\d+) MiB/.exec(capped.stdout)?.[1]);
  assert.ok(got >= 1 && got < 8, capped.stdout);
  const roomier = wasmlet(['run', '--max-memory', '32MiB', wasm]);
  const more = Number(/allocated (\d+) MiB/.exec(roomier.stdout)?.[1]);
  assert.ok(more > got && more < 32, roomier.stdout);
});

test('--max-memory below the initial memory refuses the module (125); a bad size is a usage error (2)', async () => {
  const big = await buildWat(fx('big-memory.wat'));
  const r = wasmlet(['run', '--max-memory', '1MiB', big]);
  assert.equal(r.status, 125);
  assertOneErrorLine(r, /initial memory.*memory limit/);
  assert.equal(wasmlet(['run', '--max-memory', '16MiB', big]).status, 0);
  const bad = wasmlet(['run', '--max-memory', '12XB', big]);
  assert.equal(bad.status, 2);
  assertOneErrorLine(bad, /invalid size '12XB'/);
});

test('--dir maps a host directory read-write, --dir-ro read-only, under the guest path given', () => {
  const wasm = buildC(fx('files.c'));
  const rw = mkdtempSync(join(tmpdir(), 'wasmlet-rw-'));
  const ro = mkdtempSync(join(tmpdir(), 'wasmlet-ro-'));
  writeFileSync(join(ro, 'in.txt'), 'read me\n');

  const w = wasmlet(['run', '--dir', `${rw}::/out`, wasm, 'write', '/out/new.txt', 'written by guest']);
  assert.equal(w.status, 0, w.stderr);
  assert.equal(readFileSync(join(rw, 'new.txt'), 'utf8'), 'written by guest');

  const c = wasmlet(['run', '--dir-ro', `${ro}::data`, wasm, 'cat', 'data/in.txt']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stdout, 'read me\n');

  const denied = wasmlet(['run', '--dir-ro', `${ro}::data`, wasm, 'write', 'data/x.txt', 'no']);
  assert.equal(denied.status, 3);
  assert.match(denied.stderr, /^error: open data\/x\.txt: /);
  assert.throws(() => statSync(join(ro, 'x.txt')));

  // Without ::GUEST the guest path is the host path as written (relative here, like wasmtime).
  const rel = wasmlet(['run', '--dir', '.', wasm, 'cat', './in.txt'], { cwd: ro });
  assert.equal(rel.stdout, 'read me\n', rel.stderr);

  // Not granted: not reachable.
  const none = wasmlet(['run', wasm, 'cat', join(ro, 'in.txt')]);
  assert.equal(none.status, 3);
});

test('--invoke calls _initialize then the export, printing each result on its own line', async () => {
  const wasm = await buildWat(fx('reactor.wat'));
  const add = wasmlet(['run', '--invoke', 'add', wasm, '2', '3']);
  assert.equal(add.status, 0, add.stderr);
  assert.equal(add.stdout, '1005\n');
  assert.equal(wasmlet(['run', '--invoke', 'pair', wasm]).stdout, '7\n-3\n');
  assert.equal(wasmlet(['run', '--invoke', 'big', wasm, '--', '4611686018427387904']).stdout, '-9223372036854775808\n'); // i64 wraps
  const missing = wasmlet(['run', '--invoke', 'nope', wasm]);
  assert.equal(missing.status, 125);
  assertOneErrorLine(missing, /no function named `nope`.*add/);
  const arity = wasmlet(['run', '--invoke', 'add', wasm, '1']);
  assert.equal(arity.status, 2);
  assertOneErrorLine(arity, /takes 2 argument/);
});

test('--trace prints the WASI calls to stderr', () => {
  const r = wasmlet(['run', '--trace', buildC(fx('exit-code.c')), '5']);
  assert.equal(r.status, 5);
  assert.equal(r.stdout, 'exiting with 5\n');
  assert.match(r.stderr, /fd_write/);
  assert.match(r.stderr, /proc_exit/);
});

test('usage errors exit 2 with one line; --help and --version exit 0', () => {
  const unknown = wasmlet(['run', '--bogus', 'x.wasm']);
  assert.equal(unknown.status, 2);
  assertOneErrorLine(unknown, /bogus/);
  const noModule = wasmlet(['run']);
  assert.equal(noModule.status, 2);
  assertOneErrorLine(noModule, /missing the module/);
  const badCmd = wasmlet(['frobnicate']);
  assert.equal(badCmd.status, 2);
  assertOneErrorLine(badCmd, /unknown command 'frobnicate'/);
  const badTimeout = wasmlet(['run', '--timeout', '5', 'x.wasm']);
  assert.equal(badTimeout.status, 2);
  assertOneErrorLine(badTimeout, /invalid duration '5'/);

  const help = wasmlet(['run', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--dir-ro HOST\[::GUEST\]/);
  const version = wasmlet(['--version']);
  assert.equal(version.status, 0);
  assert.equal(version.stdout, `wasmlet ${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}\n`);
});
