// WorkerPool `affinity: 'unit'`: concurrent jobs share a worker only when they are of the same unit,
// so a job that runs past its deadline (its worker is terminated) never takes another unit's jobs
// down with it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, type WorkerPoolOptions } from './pool.ts';
import type { PoolTestInput } from '../../test/fixtures/serve/pool-handler.ts';

const handler = new URL('../../test/fixtures/serve/pool-handler.ts', import.meta.url);
const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
const pools: WorkerPool[] = [];
after(async () => { await Promise.all(pools.map((p) => p.close())); });

async function makePool(affinity: WorkerPoolOptions['affinity']): Promise<WorkerPool> {
  const pool = new WorkerPool({ handler, size: 1, concurrency: 4, affinity });
  pools.push(pool);
  pool.register('tenant-a', empty, 'a');
  pool.register('tenant-b', empty, 'b');
  await pool.start();
  return pool;
}

/** Three slow jobs of tenant b in flight, then a job of tenant a that spins past its deadline. */
async function scenario(pool: WorkerPool): Promise<{ b: PromiseSettledResult<unknown>[]; a: PromiseSettledResult<unknown> }> {
  const run = (unit: string, input: PoolTestInput, timeoutMs?: number) =>
    pool.run({ unit, input, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  const b = [1, 2, 3].map(() => run('tenant-b', { op: 'async', ms: 150 }));
  await new Promise((resolve) => setTimeout(resolve, 30)); // b's jobs have started
  const a = run('tenant-a', { op: 'spin' }, 200);
  const [bs, [as]] = await Promise.all([Promise.allSettled(b), Promise.allSettled([a])]);
  return { b: bs, a: as! };
}

test("affinity 'unit': a spinning tenant times out alone; the other tenant's in-flight jobs complete", async () => {
  const pool = await makePool('unit');
  const { a, b } = await scenario(pool);
  assert.deepEqual(b.map((r) => r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code), ['later', 'later', 'later']);
  assert.equal(a.status, 'rejected');
  assert.equal((a as PromiseRejectedResult).reason.code, 'WASMLET_ERR_TIMEOUT');
  // The replacement worker serves both tenants again.
  assert.equal(await pool.run({ unit: 'tenant-b', input: { op: 'async', ms: 1 } }), 'later');
  assert.deepEqual(await pool.run({ unit: 'tenant-a', input: { op: 'echo', value: 1 } }), { value: 1, config: 'a', threadRuns: 1 });
});

test("affinity 'none' (the default) co-locates tenants: the spinning one takes the others down", async () => {
  const { a, b } = await scenario(await makePool('none'));
  assert.deepEqual(b.map((r) => r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code),
    ['WASMLET_ERR_WORKER_LOST', 'WASMLET_ERR_WORKER_LOST', 'WASMLET_ERR_WORKER_LOST']);
  assert.equal((a as PromiseRejectedResult).reason.code, 'WASMLET_ERR_TIMEOUT');
});

test("affinity 'unit' keeps queue order: a busy worker takes its unit's jobs only from the head of the queue", async () => {
  const pool = await makePool('unit');
  const order: string[] = [];
  const run = (unit: string, ms: number) => pool.run({ unit, input: { op: 'async', ms } }).then(() => { order.push(unit); });
  const first = run('tenant-a', 60);
  await new Promise((resolve) => setTimeout(resolve, 10));
  // b is queued first: the later a-jobs must not jump ahead of it onto a's busy worker.
  await Promise.all([first, run('tenant-b', 10), run('tenant-a', 10), run('tenant-a', 10)]);
  assert.deepEqual(order, ['tenant-a', 'tenant-b', 'tenant-a', 'tenant-a']);
});
