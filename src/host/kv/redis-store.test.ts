// The key-value case suite against a real redis-server started on a free port, plus Redis-only
// checks (data written by Spin's Redis backend reads back).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.ts';
import { keyValueCases } from './kv.case.ts';
import { openRedisKeyValueBackend } from './redis-store.ts';

let server: RedisServer;
before(async () => { server = await startRedisServer(); });
after(async () => { await server?.dispose(); });

/** A database emptied by FLUSHALL (every label shares Redis's keyspace, as in Spin). */
async function flushed(): Promise<string> {
  const raw = new Redis(server.url(), { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await raw.connect();
    await raw.flushall();
  } finally {
    raw.disconnect();
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
  const raw = new Redis(url, { lazyConnect: true });
  await raw.connect();
  await raw.incrby('spin-counter', 41);
  await raw.set('spin-bin', Buffer.from([0, 1, 2]));
  raw.disconnect();
  const backend = openRedisKeyValueBackend({ url });
  try {
    const s = await backend.open('default');
    assert.equal(await s.increment('spin-counter', 1n), 42n);
    assert.deepEqual(await s.get('spin-bin'), new Uint8Array([0, 1, 2]));
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
