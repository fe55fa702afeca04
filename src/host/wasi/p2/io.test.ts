import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputStream, OutputStream, Pollable, QueueSource, poll } from './io.ts';
import { createWasiP2Host } from './host.ts';

test('blocking-read waits (returns a Promise for JSPI) until the host pushes data, then reads to closed', async () => {
  const source = new QueueSource();
  const stream = new InputStream(source);
  assert.deepEqual(stream.read(10n), new Uint8Array(0));
  const pending = stream.blockingRead(10n);
  assert.ok(pending instanceof Promise, 'the guest would suspend here');
  source.push(new Uint8Array([1, 2, 3]));
  assert.deepEqual(await pending, new Uint8Array([1, 2, 3]));
  source.push(new Uint8Array([4, 5, 6, 7]));
  assert.deepEqual(stream.read(2n), new Uint8Array([4, 5]));
  assert.deepEqual(stream.read(10n), new Uint8Array([6, 7]));
  source.end();
  assert.throws(() => stream.read(1n), (e: unknown) => (e as { tag: string }).tag === 'closed');
});

test('a failed source is reported as last-operation-failed with a debug string', () => {
  const source = new QueueSource();
  source.fail('connection reset');
  const stream = new InputStream(source);
  assert.throws(() => stream.read(1n), (e: unknown) => {
    const err = e as { tag: string; val: { toDebugString(): string } };
    return err.tag === 'last-operation-failed' && err.val.toDebugString() === 'connection reset';
  });
});

test('poll returns the indices of the ready pollables, waiting for the first one', async () => {
  let flag = false;
  let wake!: () => void;
  const waiting = new Pollable(() => flag, () => new Promise((resolve) => { wake = resolve; }));
  const never = new Pollable(() => false, () => new Promise(() => {}));
  assert.deepEqual(poll([never, Pollable.ready()]), new Uint32Array([1]));
  const result = poll([never, waiting]);
  assert.ok(result instanceof Promise);
  flag = true;
  wake();
  assert.deepEqual(await result, new Uint32Array([1]));
  assert.throws(() => poll([]), RangeError);
});

test('output stream writes reach the sink; closed sink reports closed', () => {
  const seen: number[] = [];
  let closed = false;
  const out = new OutputStream({ write: (b) => seen.push(...b), closed: () => closed });
  assert.ok(out.checkWrite() > 0n);
  out.write(new Uint8Array([9, 8]));
  out.blockingWriteAndFlush(new Uint8Array([7]));
  assert.deepEqual(seen, [9, 8, 7]);
  closed = true;
  assert.throws(() => out.write(new Uint8Array([1])), (e: unknown) => (e as { tag: string }).tag === 'closed');
});

test('hosts are independent and deny by default', () => {
  const a = createWasiP2Host({ args: ['a'], env: { K: 'v' } }).imports;
  const b = createWasiP2Host().imports;
  const envA = a['wasi:cli/environment'] as { getArguments(): string[]; getEnvironment(): [string, string][] };
  const envB = b['wasi:cli/environment'] as typeof envA;
  assert.deepEqual(envA.getArguments(), ['a']);
  assert.deepEqual(envA.getEnvironment(), [['K', 'v']]);
  assert.deepEqual(envB.getArguments(), []);
  assert.deepEqual(envB.getEnvironment(), []);
  assert.deepEqual((b['wasi:filesystem/preopens'] as { getDirectories(): unknown[] }).getDirectories(), []);
  assert.throws(() => (b['wasi:sockets/tcp-create-socket'] as { createTcpSocket(f: unknown): unknown }).createTcpSocket({ tag: 'ipv4' }), (e: unknown) => e === 'access-denied');
  assert.throws(() => (b['wasi:cli/exit'] as { exit(s: { tag: string }): void }).exit({ tag: 'ok' }), { name: 'ExitSignal', code: 0 });
});
