// The key-value case suite against a real redis-server started on a free port, plus Redis-only
// checks (data written by Spin's Redis backend reads back).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.ts';
import { keyValueCases } from './kv.case.ts';
import { openRedisKeyValueBackend } from './redis-store.ts';

let server: RedisServer;
before(async () => { server = await startRedisServer(); });
after(async () => { await server?.dispose(); });

/** A database emptied by FLUSHALL (every label shares Redis's keyspace, as in Spin). */
async function flushed(): Promise<string> {
  const raw = createClient({ url: server.url() });
  try {
    await raw.connect();
    await raw.flushAll();
  } finally {
    raw.destroy();
  }
  return server.url();
}

describe('redis key-value backend: shared cases', () => {
  keyValueCases(() => ({
    fresh: async () => ({ type: 'redis', url: await flushed() }),
    counterEncoding: 'decimal',
    outage: { stop: () => server.stop(), start: () => server.start() },
  }), { networked: true });
});

test('a counter written by Spin (INCRBY, decimal text) and raw binary values read back', async () => {
  const url = await flushed();
  const raw = createClient({ url });
  await raw.connect();
  await raw.incrBy('spin-counter', 41);
  await raw.set('spin-bin', Buffer.from([0, 1, 2]));
  await raw.set(Buffer.from([0x66, 0xff]), 'a key that is not UTF-8');
  raw.destroy();
  const backend = openRedisKeyValueBackend({ url });
  try {
    const s = await backend.open('default');
    assert.equal(await s.increment('spin-counter', 1n), 42n);
    assert.deepEqual(await s.get('spin-bin'), new Uint8Array([0, 1, 2]));
    // Spin answers `other` for a key it cannot decode; so does wasmlet, naming its bytes.
    await assert.rejects(s.getKeys(), (err: Error & { payload?: { tag: string } }) => err.payload?.tag === 'other' && /not valid UTF-8 \(hex 66ff/.test(err.message));
  } finally {
    await backend.close();
  }
});

test('opening a store on an unreachable Redis fails with `other` within the connect timeout', async () => {
  const backend = openRedisKeyValueBackend({ url: 'redis://127.0.0.1:1/0', connectTimeoutMs: 300 });
  const t0 = performance.now();
  await assert.rejects(backend.open('default'), (err: Error & { payload?: { tag: string } }) => err.payload?.tag === 'other' && /unreachable/.test(err.message));
  assert.ok(performance.now() - t0 < 1500);
  await backend.close();
});

test('a Redis that hangs (SIGSTOP) fails calls within the command timeout, and they work again once it resumes', async () => {
  const backend = openRedisKeyValueBackend({ url: await flushed(), commandTimeoutMs: 300 });
  try {
    const s = await backend.open('default');
    await s.set('a', new Uint8Array([1]));
    server.pause();
    try {
      const t0 = performance.now();
      await assert.rejects(s.get('a'), (err: Error & { payload?: { tag: string } }) => err.payload?.tag === 'other');
      const ms = performance.now() - t0;
      assert.ok(ms >= 250 && ms < 1500, `failed after the command timeout (${ms.toFixed(0)} ms)`);
    } finally {
      server.resume();
    }
    assert.deepEqual(await s.get('a'), new Uint8Array([1]));
  } finally {
    await backend.close();
  }
});

test('a thread blocked past the connect and reply deadlines (a neighbour guest) does not fail an open or a command in flight', async () => {
  const backend = openRedisKeyValueBackend({ url: await flushed(), connectTimeoutMs: 300, commandTimeoutMs: 300 });
  try {
    const block = () => { const end = performance.now() + 800; while (performance.now() < end) { /* CPU-bound neighbour */ } };
    const opening = backend.open('default');
    block();
    const store = await opening;
    const setting = store.set('k', new TextEncoder().encode('v'));
    block();
    await setting;
    assert.deepEqual(await store.get('k'), new TextEncoder().encode('v'));
  } finally {
    await backend.close();
  }
});
