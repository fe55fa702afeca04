import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareModule, runWasi } from './run-module.ts';
import { CompileCache } from './compile-cache.ts';
import { collectOutput } from '../sandbox/stdio.ts';
import { buildC, buildWat, watToBytes } from '../../test/support/fixtures.ts';

const fx = (name: string) => `test/fixtures/run/${name}`;
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const codeIs = (code: string, message?: RegExp) => (err: unknown) => {
  const e = err as { code?: string; message: string; blame?: string };
  return e.code === code && (!message || message.test(e.message));
};

test('runWasi collects stdout/stderr by default and feeds stdin bytes', async () => {
  const wasm = readFileSync(buildC(fx('cat.c')));
  const r = await runWasi(wasm, { args: ['cat'], stdin: new TextEncoder().encode('hello\n') });
  assert.equal(r.exitCode, 0);
  assert.equal(text(r.stdout), 'hello\n');
  assert.equal(text(r.stderr), '6 bytes\n');
});

test('deny by default: no stdin, no env, args as given', async () => {
  const wasm = readFileSync(buildC(fx('args-env.c')));
  const r = await runWasi(wasm, { args: ['prog', 'x'] });
  assert.equal(text(r.stdout), 'argv[0]=prog\nargv[1]=x\n');
  const withEnv = await runWasi(wasm, { args: ['prog'], env: { A: '1' } });
  assert.equal(text(withEnv.stdout), 'argv[0]=prog\nenv:A=1\n');
});

test('proc_exit is the exit code, on this thread and on a worker', async () => {
  const wasm = readFileSync(buildC(fx('exit-code.c')));
  assert.equal((await runWasi(wasm, { args: ['e', '7'] })).exitCode, 7);
  const viaWorker = await runWasi(wasm, { args: ['e', '9'], timeoutMs: 20_000 });
  assert.equal(viaWorker.exitCode, 9);
  assert.equal(text(viaWorker.stdout), 'exiting with 9\n'); // relayed from the worker
});

test('custom output streams receive the guest output (also relayed from a worker)', async () => {
  const wasm = readFileSync(buildC(fx('exit-code.c')));
  for (const timeoutMs of [undefined, 20_000]) {
    const out = collectOutput();
    const r = await runWasi(wasm, { args: ['e', '1'], stdout: out, stderr: 'null', ...(timeoutMs ? { timeoutMs } : {}) });
    assert.equal(out.text(), 'exiting with 1\n');
    assert.equal(r.stdout, undefined);
    assert.equal(r.stderr, undefined);
  }
});

test('a custom stdin stream cannot cross to a worker', async () => {
  const wasm = readFileSync(buildC(fx('cat.c')));
  await assert.rejects(runWasi(wasm, { stdin: { read: () => 0 }, timeoutMs: 1000 }), codeIs('WASMLET_ERR_INVALID_OPTIONS'));
});

test('a trap is WASMLET_ERR_TRAP blaming the guest, naming the function (with and without a name section)', async () => {
  const named = readFileSync(await buildWat(fx('trap.wat')));
  for (const timeoutMs of [undefined, 20_000]) {
    await assert.rejects(runWasi(named, timeoutMs ? { timeoutMs } : {}), (err: Error & { code?: string; blame?: string }) => {
      assert.equal(err.code, 'WASMLET_ERR_TRAP');
      assert.equal(err.blame, 'guest');
      assert.match(err.message, /^wasm trap: unreachable.* in function `crash` \(func\[0\] at byte offset 0x[0-9a-f]+\)$/);
      return true;
    });
  }
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const m = wabt.parseWat('t.wat', readFileSync(fx('trap.wat'), 'utf8'));
  const anonymous = m.toBinary({ write_debug_names: false }).buffer;
  m.destroy();
  await assert.rejects(runWasi(anonymous), codeIs('WASMLET_ERR_TRAP', /unreachable.* in func\[0\]/));
});

test('timeoutMs stops an infinite loop with WASMLET_ERR_TIMEOUT', async () => {
  const wasm = readFileSync(await buildWat(fx('loop.wat')));
  const t0 = performance.now();
  await assert.rejects(runWasi(wasm, { timeoutMs: 200 }), (err: Error & { code?: string; blame?: string }) =>
    err.code === 'WASMLET_ERR_TIMEOUT' && err.blame === 'guest');
  assert.ok(performance.now() - t0 < 5000);
});

test('maxMemoryBytes: growth past the cap fails in the guest, which keeps running', async () => {
  const wasm = readFileSync(buildC(fx('grow.c')));
  const r = await runWasi(wasm, { maxMemoryBytes: 4 * 1024 * 1024 });
  assert.equal(r.exitCode, 0);
  const got = Number(/allocated (\d+) MiB/.exec(text(r.stdout))?.[1]);
  assert.ok(got >= 1 && got < 4, text(r.stdout));
  const big = readFileSync(await buildWat(fx('big-memory.wat')));
  await assert.rejects(runWasi(big, { maxMemoryBytes: 1024 * 1024 }), codeIs('WASMLET_ERR_MEMORY_LIMIT'));
});

test('unknown imports are refused before instantiation, naming module.name and kind', async () => {
  const wasm = readFileSync(await buildWat(fx('unknown-import.wat')));
  await assert.rejects(runWasi(wasm), codeIs('WASMLET_ERR_UNKNOWN_IMPORT', /`env\.host_log` \(function\)/));
  const mem = await watToBytes('(module (import "env" "memory" (memory 1)) (func (export "_start")))');
  await assert.rejects(runWasi(mem), codeIs('WASMLET_ERR_UNKNOWN_IMPORT', /`env\.memory` \(memory\)/));
});

test('V8 validation errors become WASMLET_ERR_INVALID_WASM with the offset', async () => {
  // A function body that leaves nothing where the type says i32.
  const bad = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, 5, 1, 0x60, 0, 1, 0x7f, // type: () -> i32
    3, 2, 1, 0, // one function of type 0
    10, 4, 1, 2, 0, 0x0b]); // body: end
  await assert.rejects(runWasi(bad), codeIs('WASMLET_ERR_INVALID_WASM', /@\+\d+/));
});

test('invoke runs _initialize, then the export with parsed arguments, and returns its results', async () => {
  const wasm = readFileSync(await buildWat(fx('reactor.wat')));
  assert.deepEqual((await runWasi(wasm, { invoke: 'add', invokeArgs: ['1', '2'] })).results, [1003]);
  assert.deepEqual((await runWasi(wasm, { invoke: 'pair' })).results, [7, -3]);
  assert.deepEqual((await runWasi(wasm, { invoke: 'big', invokeArgs: ['21'], timeoutMs: 20_000 })).results, [42n]);
  await assert.rejects(runWasi(wasm), codeIs('WASMLET_ERR_NO_START'));
  await assert.rejects(runWasi(wasm, { invoke: 'nope' }), codeIs('WASMLET_ERR_NO_EXPORT'));
});

test('the compile cache compiles the same bytes once and keys on the capped bytes', async () => {
  const cache = new CompileCache();
  const wasm = readFileSync(buildC(fx('exit-code.c')));
  const a = await prepareModule(wasm, { cache });
  const b = await prepareModule(wasm, { cache });
  assert.equal(a.module, b.module);
  assert.equal(cache.size, 1);
  const capped = await prepareModule(wasm, { cache, maxMemoryBytes: 64 * 1024 * 1024 });
  assert.notEqual(capped.hash, a.hash);
  assert.equal(cache.size, 2);
  // A prepared module runs as is, many times, each with a fresh instance.
  for (const code of ['4', '5']) assert.equal((await runWasi(a, { args: ['e', code] })).exitCode, Number(code));
  await assert.rejects(runWasi(a, { maxMemoryBytes: 1 }), codeIs('WASMLET_ERR_INVALID_OPTIONS'));
});
