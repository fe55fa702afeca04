// WorkerPool fairness between units: concurrent jobs share a worker only when they are of the same
// unit, so a job that runs past its deadline (its worker is terminated) never takes another unit's
// jobs down with it; units take turns for free workers; one unit never holds every worker.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool, type WorkerPoolOptions } from './pool.ts';
import type { WasmletError } from '../util/errors.ts';
import type { PoolTestInput } from '../../test/fixtures/serve/pool-handler.ts';

const handler = new URL('../../test/fixtures/serve/pool-handler.ts', import.meta.url);
const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
const pools: WorkerPool[] = [];
after(async () => { await Promise.all(pools.map((p) => p.close())); });

async function makePool(options: Partial<WorkerPoolOptions> = {}): Promise<WorkerPool> {
  const pool = new WorkerPool({ handler, size: 1, concurrency: 4, ...options });
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

test("a spinning tenant times out alone; the other tenant's in-flight jobs complete", async () => {
  const pool = await makePool();
  const { a, b } = await scenario(pool);
  assert.deepEqual(b.map((r) => r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code), ['later', 'later', 'later']);
  assert.equal(a.status, 'rejected');
  assert.equal((a as PromiseRejectedResult).reason.code, 'WASMLET_ERR_TIMEOUT');
  // The replacement worker serves both tenants again.
  assert.equal(await pool.run({ unit: 'tenant-b', input: { op: 'async', ms: 1 } }), 'later');
  assert.deepEqual(await pool.run({ unit: 'tenant-a', input: { op: 'echo', value: 1 } }), { value: 1, config: 'a', threadRuns: 1 });
});

test("units take turns: a busy worker does not take more of its unit's jobs while another unit waits", async () => {
  const pool = await makePool();
  const order: string[] = [];
  const run = (unit: string, ms: number) => pool.run({ unit, input: { op: 'async', ms } }).then(() => { order.push(unit); });
  const first = run('tenant-a', 60);
  await new Promise((resolve) => setTimeout(resolve, 10));
  // b is queued first: the later a-jobs must not jump ahead of it onto a's busy worker.
  await Promise.all([first, run('tenant-b', 10), run('tenant-a', 10), run('tenant-a', 10)]);
  assert.deepEqual(order, ['tenant-a', 'tenant-b', 'tenant-a', 'tenant-a']);
});

test('with two units registered, one unit never holds every worker: the other is served while it spins', async () => {
  const pool = await makePool({ size: 2, concurrency: 1 });
  const spins = Array.from({ length: 4 }, () => pool.run({ unit: 'tenant-a', input: { op: 'spin' }, timeoutMs: 1500 }));
  let spinsSettled = 0;
  for (const s of spins) s.catch(() => {}).finally(() => { spinsSettled++; });
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await pool.run({ unit: 'tenant-b', input: { op: 'echo', value: i } }),
      { value: i, config: 'b', threadRuns: i + 1 }, 'tenant b keeps one worker');
  }
  assert.equal(spinsSettled, 0, "tenant b was served while every one of a's jobs was still spinning or waiting");
  const results = await Promise.allSettled(spins);
  assert.deepEqual(results.map((r) => (r as PromiseRejectedResult).reason.code), Array(4).fill('WASMLET_ERR_TIMEOUT'));
});

test('a deadline counts from submission: jobs that waited past it fail without running, so a flood drains at one deadline', async () => {
  const pool = await makePool({ size: 2, concurrency: 1 });
  const results = await Promise.allSettled(Array.from({ length: 8 },
    () => pool.run({ unit: 'tenant-a', input: { op: 'spin' }, timeoutMs: 300 })));
  const messages = results.map((r) => { assert.equal(r.status, 'rejected'); return (r.reason as Error).message; });
  assert.ok(results.every((r) => (r as PromiseRejectedResult).reason.code === 'WASMLET_ERR_TIMEOUT'));
  // Tenant a may hold one of the two workers: one job ran (and was stopped), the other seven expired waiting.
  assert.equal(messages.filter((m) => m.includes('ran longer than')).length, 1);
  assert.equal(messages.filter((m) => m.includes('it did not run')).length, 7);
});

test("maxQueue is per unit: a flood of one unit gets its own QUEUE_FULL, another unit's requests still queue", async () => {
  const pool = await makePool({ size: 1, concurrency: 1, maxQueue: 2 });
  const running = pool.run({ unit: 'tenant-a', input: { op: 'sleep', ms: 200 } });
  const waitingA = [1, 2].map((v) => pool.run({ unit: 'tenant-a', input: { op: 'echo', value: v } }));
  await assert.rejects(pool.run({ unit: 'tenant-a', input: { op: 'echo', value: 3 } }), { code: 'WASMLET_ERR_QUEUE_FULL' });
  const b = pool.run({ unit: 'tenant-b', input: { op: 'echo', value: 'b' } });
  assert.equal(await running, 'slept');
  assert.deepEqual((await b as { value: string }).value, 'b');
  assert.deepEqual((await Promise.all(waitingA)).map((r) => (r as { value: number }).value), [1, 2]);
});

test('admission by expected wait: a job that would wait past its timeout is refused at once; others queue', async () => {
  const pool = await makePool({ size: 1, concurrency: 1, admitByExpectedWait: true });
  const sleep = () => pool.run({ unit: 'tenant-a', input: { op: 'sleep', ms: 200 }, timeoutMs: 1000 });
  assert.equal(await sleep(), 'slept'); // the unit's run time is now known: ~200 ms (more on a busy machine)
  const running = sleep();
  // Submitted in one turn, so the run-time average does not move: the job submitted with k jobs
  // waiting expects (k + 0.5) x average; the first that reaches 1000 ms and every later one are refused.
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => sleep()));
  const refused = outcomes.map((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'WASMLET_ERR_QUEUE_FULL');
  const k = refused.indexOf(true);
  assert.ok(k > 0, 'jobs that fit their deadline were admitted');
  assert.ok(refused.slice(k).every(Boolean), 'once refused, every later job is refused too');
  const message = ((outcomes[k] as PromiseRejectedResult).reason as Error).message;
  const runMs = Number(/at ([\d.]+) ms each/.exec(message)?.[1]);
  assert.match(message, /would pass the 1000 ms timeout/);
  assert.ok((k + 0.5) * runMs >= 1000 && (k - 0.5) * runMs < 1000, `refused at ${k} waiting with ${runMs} ms each`);
  assert.ok(outcomes.slice(0, k).every((r) => r.status === 'fulfilled' || (r.reason as { code: string }).code === 'WASMLET_ERR_TIMEOUT'));
  assert.equal(await running, 'slept');
  // Another unit is not refused for tenant a's backlog.
  assert.deepEqual((await pool.run({ unit: 'tenant-b', input: { op: 'echo', value: 'b' }, timeoutMs: 1000 }) as { value: string }).value, 'b');
});

test('admission by memory: waiting jobs may hold at most maxQueuedBytes', async () => {
  const pool = await makePool({ size: 1, concurrency: 1, maxQueuedBytes: 10_000 });
  const running = pool.run({ unit: 'tenant-a', input: { op: 'sleep', ms: 150 } });
  const first = pool.run({ unit: 'tenant-a', input: { op: 'echo', value: 1 }, bytes: 3000 }); // 3000 + 4096 fits
  await assert.rejects(pool.run({ unit: 'tenant-b', input: { op: 'echo', value: 2 }, bytes: 3000 }),
    (err: { code: string; message: string }) => err.code === 'WASMLET_ERR_QUEUE_FULL' && /MiB/.test(err.message));
  assert.equal(await running, 'slept');
  assert.equal((await first as { value: number }).value, 1);
  // Once the waiting job started, its bytes no longer count.
  assert.equal((await pool.run({ unit: 'tenant-b', input: { op: 'echo', value: 3 }, bytes: 3000 }) as { value: number }).value, 3);
});

test("while a unit's timed-out worker is replaced, the unit cannot take the other tenant's worker", async () => {
  const pool = await makePool({ size: 2, concurrency: 1 });
  const first = pool.run({ unit: 'tenant-a', input: { op: 'spin' }, timeoutMs: 300 }).catch((err: Error) => err);
  await new Promise((resolve) => setTimeout(resolve, 10));
  // 10 ms short of its deadline when the first is stopped; a replacement worker takes longer than
  // that to start, so it waits for a's worker and expires there, instead of spinning on b's worker.
  const second = pool.run({ unit: 'tenant-a', input: { op: 'spin' }, timeoutMs: 300 }).catch((err: Error) => err);
  const b: unknown[] = [];
  for (let i = 0; i < 30; i++) {
    b.push(await pool.run({ unit: 'tenant-b', input: { op: 'echo', value: i } }));
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  assert.match((await first as Error).message, /ran longer than its 300 ms timeout/);
  assert.equal((await second as WasmletError).code, 'WASMLET_ERR_TIMEOUT');
  assert.match((await second as Error).message, /it did not run/);
  assert.deepEqual(b.map((r) => (r as { value: number }).value), b.map((_, i) => i));
});
