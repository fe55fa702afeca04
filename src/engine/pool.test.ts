import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from './pool.ts';
import type { PoolJob } from './pool.ts';
import type { PoolTestInput } from '../../test/fixtures/serve/pool-handler.ts';

const handler = new URL('../../test/fixtures/serve/pool-handler.ts', import.meta.url);
const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

async function makePool(options: { size?: number; maxQueue?: number } = {}): Promise<WorkerPool> {
  const pool = new WorkerPool({ handler, size: options.size ?? 1, maxQueue: options.maxQueue });
  pool.register('u', empty, { name: 'unit-config' });
  await pool.start();
  return pool;
}

function job(input: PoolTestInput, extra: Partial<PoolJob> = {}): PoolJob {
  return { unit: 'u', input, ...extra };
}

describe('WorkerPool', () => {
  const pools: WorkerPool[] = [];
  const pool = async (options?: { size?: number; maxQueue?: number }) => {
    const p = await makePool(options);
    pools.push(p);
    return p;
  };
  after(async () => { await Promise.all(pools.map((p) => p.close())); });

  test('runs a job in a worker with the unit config, events first, in order', async () => {
    const p = await pool();
    assert.deepEqual(await p.run(job({ op: 'echo', value: [1, 'two'] })),
      { value: [1, 'two'], config: { name: 'unit-config' }, threadRuns: 1 });
    const events: unknown[] = [];
    const result = await p.run(job({ op: 'events', n: 5 }, { onEvent: (e) => events.push(e) }));
    assert.equal(result, 'events done');
    assert.deepEqual(events, [0, 1, 2, 3, 4].map((i) => ({ i })));
    assert.equal(await p.run(job({ op: 'async', ms: 5 })), 'later');
  });

  test('stops a job at its timeout, replaces the worker, and requeues the job prefetched behind it', async () => {
    const p = await pool();
    const spinning = p.run(job({ op: 'spin' }, { timeoutMs: 300 }));
    const behind = p.run(job({ op: 'echo', value: 'after' }, { timeoutMs: 5000 }));
    await assert.rejects(spinning, { code: 'WASMLET_ERR_TIMEOUT', blame: 'guest' });
    const r = await behind as { value: string; threadRuns: number };
    assert.equal(r.value, 'after');
    assert.equal(r.threadRuns, 1, 'it ran on the fresh worker');
    assert.equal(p.size, 1);
  });

  test('refuses work beyond maxQueue with WASMLET_ERR_QUEUE_FULL', async () => {
    const p = await pool({ size: 1, maxQueue: 1 });
    const running = p.run(job({ op: 'sleep', ms: 300 }));
    const waiting = p.run(job({ op: 'echo', value: 1 }));
    assert.equal(p.queued, 1);
    await assert.rejects(p.run(job({ op: 'echo', value: 2 })), { code: 'WASMLET_ERR_QUEUE_FULL' });
    assert.equal(await running, 'slept');
    assert.equal((await waiting as { value: number }).value, 1);
  });

  test('an aborted queued job never runs', async () => {
    const p = await pool({ size: 1, maxQueue: 4 });
    const running = p.run(job({ op: 'sleep', ms: 200 }));
    const prefetched = p.run(job({ op: 'echo', value: 'b' }));
    const controller = new AbortController();
    const queued = p.run(job({ op: 'echo', value: 'c' }, { signal: controller.signal }));
    controller.abort();
    await assert.rejects(queued, { code: 'WASMLET_ERR_ABORTED' });
    assert.equal(await running, 'slept');
    assert.equal((await prefetched as { value: string }).value, 'b');
  });

  test('jobs sent in batches run once each, in submission order', async () => {
    const p = await pool({ size: 1, maxQueue: 100 });
    const runs = Array.from({ length: 40 }, (_, i) => p.run(job({ op: 'echo', value: i })));
    const results = await Promise.all(runs) as { value: number; threadRuns: number }[];
    assert.deepEqual(results.map((r) => r.value), Array.from({ length: 40 }, (_, i) => i));
    assert.deepEqual(results.map((r) => r.threadRuns), Array.from({ length: 40 }, (_, i) => i + 1), 'one run each, in order');
  });

  test('a timeout inside a batch fails only that job; the jobs behind it run once on the new worker', async () => {
    const p = await pool({ size: 1, maxQueue: 100 });
    const first = p.run(job({ op: 'echo', value: 'first' }, { timeoutMs: 2000 }));
    const spinning = p.run(job({ op: 'spin' }, { timeoutMs: 300 }));
    const behind = Array.from({ length: 5 }, (_, i) => p.run(job({ op: 'echo', value: i }, { timeoutMs: 2000 })));
    assert.equal((await first as { value: string }).value, 'first');
    await assert.rejects(spinning, { code: 'WASMLET_ERR_TIMEOUT' });
    const results = await Promise.all(behind) as { value: number; threadRuns: number }[];
    assert.deepEqual(results.map((r) => r.value), [0, 1, 2, 3, 4]);
    assert.deepEqual(results.map((r) => r.threadRuns), [1, 2, 3, 4, 5], 'each ran once, in order, on the fresh worker');
  });

  test('jobs waiting behind a long job move to a worker that goes idle', async () => {
    const p = await pool({ size: 2, maxQueue: 100 });
    const done: string[] = [];
    const short = p.run(job({ op: 'sleep', ms: 100 })).then(() => done.push('short'));
    const long = p.run(job({ op: 'sleep', ms: 1500 })).then(() => done.push('long'));
    await new Promise((r) => setTimeout(r, 20)); // both running; the long one started last
    const waiting = Array.from({ length: 4 }, (_, i) => p.run(job({ op: 'echo', value: i })).then(() => done.push(`echo${i}`)));
    await Promise.all([short, ...waiting]);
    assert.deepEqual(done.slice(0, 1), ['short']);
    assert.deepEqual(done.slice(1).toSorted(), ['echo0', 'echo1', 'echo2', 'echo3'], 'none waited for the long job');
    await long;
  });

  test('aborting a job prefetched to a busy worker drops it before it runs', async () => {
    const p = await pool({ size: 1, maxQueue: 4 });
    const running = p.run(job({ op: 'sleep', ms: 200 }));
    const controller = new AbortController();
    const dropped = p.run(job({ op: 'echo', value: 'b' }, { signal: controller.signal }));
    await new Promise((r) => setImmediate(r)); // sent to the worker behind the running job
    assert.equal(p.queued, 1);
    controller.abort();
    await assert.rejects(dropped, { code: 'WASMLET_ERR_ABORTED' });
    assert.equal(await running, 'slept');
    assert.equal((await p.run(job({ op: 'echo', value: 'c' })) as { threadRuns: number }).threadRuns, 2, 'the dropped job never ran');
  });

  test('cancel(job) drops a queued or prefetched job; a running job runs on', async () => {
    const p = await pool({ size: 1, maxQueue: 4 });
    const runningJob = job({ op: 'sleep', ms: 200 });
    const running = p.run(runningJob);
    const prefetchedJob = job({ op: 'echo', value: 'b' });
    const prefetched = p.run(prefetchedJob);
    await new Promise((r) => setImmediate(r)); // sent to the worker behind the running job
    const queuedJob = job({ op: 'echo', value: 'c' });
    const queued = p.run(queuedJob);
    assert.equal(p.queued, 2);
    assert.equal(p.cancel(queuedJob), true);
    assert.equal(p.cancel(prefetchedJob), true);
    assert.equal(p.cancel(runningJob), false);
    await assert.rejects(queued, { code: 'WASMLET_ERR_ABORTED' });
    await assert.rejects(prefetched, { code: 'WASMLET_ERR_ABORTED' });
    assert.equal(p.queued, 0);
    assert.equal(await running, 'slept');
    assert.equal(p.cancel(runningJob), false, 'a settled job is left alone');
    assert.equal((await p.run(job({ op: 'echo', value: 'd' })) as { threadRuns: number }).threadRuns, 2, 'the cancelled jobs never ran');
  });

  test('a job with a shorter deadline than the one before it on the worker is stopped at its own', async () => {
    const p = await pool({ size: 1, maxQueue: 4 });
    const first = p.run(job({ op: 'sleep', ms: 50 }, { timeoutMs: 60_000 }));
    const spinning = p.run(job({ op: 'spin' }, { timeoutMs: 200 }));
    assert.equal(await first, 'slept');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('not stopped within 10 s')), 10_000); });
    await assert.rejects(Promise.race([spinning, late]), { code: 'WASMLET_ERR_TIMEOUT' });
    clearTimeout(timer);
  });

  test('a handler that needs the event loop gets its timers run between jobs, under a steady stream of them', async () => {
    // Node drains a MessagePort for as long as messages keep arriving, and a job started from the
    // message callback kept the thread out of its event loop: timers, which jco's glue uses to
    // release each component instance, waited until the load stopped (and instances piled up).
    const p = new WorkerPool({ handler: new URL('../../test/fixtures/serve/pool-handler-event-loop.ts', import.meta.url), size: 1, concurrency: 2, maxQueue: 200 });
    pools.push(p);
    p.register('u', empty, { name: 'unit-config' });
    await p.start();
    const seen = await Promise.all(Array.from({ length: 80 }, () => p.run(job({ op: 'busy-timers', ms: 3 })))) as number[];
    assert.ok(seen.at(-1)! >= 40, `timers that had run by the last of 80 jobs: ${seen.at(-1)} (they wait for the event loop)`);
  });

  for (const concurrency of [1, 4]) {
    test(`a handler that needs the event loop (concurrency ${concurrency}) runs the jobs behind a trap, a throw and a timeout on the same worker`, { timeout: 60_000 }, async () => {
      // Its jobs start from an immediate: jobs that arrive meanwhile join the pending batch, and a
      // replaced worker's unclaimed ones go to the new worker. None may be lost (the test's
      // timeout turns a lost job's hang into a failure) or run twice.
      const p = new WorkerPool({ handler: new URL('../../test/fixtures/serve/pool-handler-event-loop.ts', import.meta.url), size: 1, concurrency, maxQueue: 100 });
      pools.push(p);
      p.register('u', empty, { name: 'unit-config' });
      await p.start();
      const echo = (value: number) => p.run(job({ op: 'echo', value }, { timeoutMs: 10_000 })) as Promise<{ value: number; threadRuns: number }>;
      const trap = assert.rejects(p.run(job({ op: 'trap-later', ms: 5 })), { code: 'WASMLET_ERR_TRAP', message: /unreachable/ });
      const echoes = [echo(0), echo(1)];
      const thrown = assert.rejects(p.run(job({ op: 'throw' })), { code: 'WASMLET_ERR_HTTP_GUEST_ERROR' });
      echoes.push(echo(2));
      await Promise.all([trap, thrown]);
      const before = await Promise.all(echoes);
      assert.deepEqual(before.map((r) => r.value), [0, 1, 2]);
      // Each ran once (runs 1 and 4 of the thread failed); a sequential worker ran them in order.
      const runs = before.map((r) => r.threadRuns);
      assert.deepEqual(concurrency === 1 ? runs : runs.toSorted(), [2, 3, 5]);
      // A timeout replaces the worker. A sequential one's prefetched jobs had not started: they run
      // once each on the new worker. (A concurrent worker's jobs had all started: they die with it.)
      const spinning = p.run(job({ op: 'spin' }, { timeoutMs: 300 }));
      const behind = concurrency === 1 ? [3, 4, 5].map(echo) : [];
      await assert.rejects(spinning, { code: 'WASMLET_ERR_TIMEOUT' });
      const after = await Promise.all(behind);
      assert.deepEqual(after.map((r) => r.value), behind.length > 0 ? [3, 4, 5] : []);
      assert.deepEqual(after.map((r) => r.threadRuns), behind.length > 0 ? [1, 2, 3] : []);
      assert.equal((await echo(6)).threadRuns, behind.length + 1, 'it ran on the fresh worker');
    });
  }

  test('handler errors keep their code; a failed load fails the unit\'s runs', async () => {
    const p = await pool();
    await assert.rejects(p.run(job({ op: 'throw' })), { code: 'WASMLET_ERR_HTTP_GUEST_ERROR', message: /on purpose/, blame: 'guest' });
    p.register('bad', empty, 'refuse');
    await assert.rejects(p.run({ unit: 'bad', input: { op: 'echo', value: 0 } }), { code: 'WASMLET_ERR_INVALID_OPTIONS', message: /load refused/ });
    await assert.rejects(p.run({ unit: 'nope', input: {} }), { code: 'WASMLET_ERR_UNKNOWN_UNIT' });
  });

  test('a worker that dies under a job fails it with WASMLET_ERR_WORKER_LOST and is replaced', async () => {
    const p = await pool();
    await assert.rejects(p.run(job({ op: 'exit' })), { code: 'WASMLET_ERR_WORKER_LOST' });
    assert.equal((await p.run(job({ op: 'echo', value: 'alive' })) as { value: string }).value, 'alive');
  });

  test('close rejects queued jobs and further runs', async () => {
    const p = await makePool({ size: 1 });
    const running = p.run(job({ op: 'sleep', ms: 100 }));
    const queued = p.run(job({ op: 'echo', value: 1 }));
    const third = p.run(job({ op: 'echo', value: 2 }));
    const checks = [running, queued, third].map((j) => assert.rejects(j, { code: 'WASMLET_ERR_POOL_CLOSED' }));
    await p.close();
    await Promise.all(checks);
    await assert.rejects(p.run(job({ op: 'echo', value: 3 })), { code: 'WASMLET_ERR_POOL_CLOSED' });
  });
});
