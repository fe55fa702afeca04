import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DirDescriptor, InputStreamDescriptor } from '../../sandbox/descriptor.ts';
import { MemoryVfs } from '../../sandbox/memory-vfs.ts';
import { nullInput } from '../../sandbox/stdio.ts';
import { WasiCtx } from './ctx.ts';

const stdio = { stdin: 'in', stdout: 'out', stderr: 'err' };

test('deny by default: no args, env, cwd or preopens; an empty table', () => {
  const ctx = new WasiCtx(stdio);
  assert.deepEqual([ctx.args, ctx.envPairs(), ctx.cwd, ctx.preopens, ctx.table.size], [[], [], undefined, [], 0]);
  assert.deepEqual([ctx.stdin, ctx.stdout, ctx.stderr], ['in', 'out', 'err']);
});

test('numbered descriptors come first, then the preopens in order; the cap counts them all', () => {
  const stdin = new InputStreamDescriptor(nullInput());
  const ctx = new WasiCtx({
    ...stdio, maxOpenFds: 3,
    preopens: [{ guestPath: '/a', vfs: new MemoryVfs() }, { guestPath: '/b', vfs: new MemoryVfs(), readOnly: true }],
  }, [stdin]);
  assert.equal(ctx.table.get(0), stdin);
  assert.deepEqual(ctx.preopens.map((p) => [p.fd, p.guestPath, p.readOnly, p.dir instanceof DirDescriptor]), [[1, '/a', false, true], [2, '/b', true, true]]);
  assert.equal(ctx.table.get(2), ctx.preopens[1]!.dir);
  assert.equal(ctx.table.full, true);
  assert.throws(() => new WasiCtx({ ...stdio, maxOpenFds: 1, preopens: [{ guestPath: '/a', vfs: new MemoryVfs() }] }, [stdin]), { code: 'EMFILE' });
  ctx.close();
  assert.equal(ctx.table.size, 0);
  ctx.close(); // idempotent
});

test('env as an object or as pairs keeps order (and duplicates, as Wasmtime)', () => {
  assert.deepEqual(new WasiCtx({ ...stdio, env: { B: '1', A: '2' } }).envPairs(), [['B', '1'], ['A', '2']]);
  assert.deepEqual(new WasiCtx({ ...stdio, env: [['K', '1'], ['K', '2']] }).envPairs(), [['K', '1'], ['K', '2']]);
});

test('clocks: nanoseconds, wall clock near Date.now and monotonic within one instance', () => {
  const { clocks } = new WasiCtx(stdio);
  const wall = clocks.realtimeNs();
  assert.ok(Math.abs(Number(wall / 1_000_000n) - Date.now()) < 1000);
  const a = clocks.realtimeNs();
  const m = clocks.monotonicNs();
  clocks.sleepUntilNs(m + 2_000_000n);
  assert.ok(clocks.monotonicNs() - m >= 2_000_000n);
  assert.ok(clocks.realtimeNs() - a >= 2_000_000n);
  assert.equal(clocks.resolutionNs, 1n);
});

test('random: fills in place; the insecure seed is fixed per instance and differs between instances', () => {
  const { random } = new WasiCtx(stdio);
  const buf = new Uint8Array(64);
  random.fill(buf, 8, 48);
  assert.ok(buf.subarray(8, 56).some((b) => b !== 0));
  assert.deepEqual([...buf.subarray(0, 8), ...buf.subarray(56)], new Array(16).fill(0));
  assert.deepEqual(random.insecureSeed(), random.insecureSeed());
  assert.notDeepEqual(random.insecureSeed(), new WasiCtx(stdio).random.insecureSeed());
  assert.equal(typeof random.u64(), 'bigint');
});
