// The key-value case suite, run against every backend (sqlite-store.test.ts, redis-store.test.ts),
// in the manner of Hono's `common.case.test.ts`. Each case opens a fresh, empty backend from a
// spec (plain data), so the concurrency cases can open their own in worker threads.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { repoRoot } from '../../../test/support/fixtures.ts';
import { DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES, isKeyValueError, openKeyValueBackend, type KeyValueBackend, type KeyValueBackendSpec, type KeyValueStore } from './index.ts';

/** What a backend's test file gives the suite. */
export interface KeyValueCaseFixture {
  /** A spec for an empty backend (a new file, a flushed database). */
  fresh(): Promise<KeyValueBackendSpec>;
  /** How `increment` stores a counter, as Spin does on that backend. */
  counterEncoding: 'i64le' | 'decimal';
  /** For a networked backend: take the server away and bring it back. */
  outage?: { stop(): Promise<void>; start(): Promise<void> };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** Asserts `p` rejects with a KeyValueError `other` whose message matches `re`. */
async function rejectsOther(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isKeyValueError(err), `a KeyValueError, got ${String(err)}`);
    assert.equal(err.payload.tag, 'other');
    assert.match(err.message, re);
    return true;
  });
}

async function withStore(fx: KeyValueCaseFixture, fn: (store: KeyValueStore, backend: KeyValueBackend, spec: KeyValueBackendSpec) => Promise<void>): Promise<void> {
  const spec = await fx.fresh();
  const backend = openKeyValueBackend(spec);
  try {
    await fn(await backend.open('default'), backend, spec);
  } finally {
    await backend.close();
  }
}

/** Runs `op` in `workers` threads, each with its own backend opened from `spec`. */
function inWorkers<T>(spec: KeyValueBackendSpec, workers: number, data: { key: string; op: 'increment' | 'cas'; n: number }): Promise<T[]> {
  const barrier = new Int32Array(new SharedArrayBuffer(8));
  barrier[1] = workers;
  return Promise.all(Array.from({ length: workers }, () => new Promise<T>((resolve, reject) => {
    const w = new Worker(join(repoRoot, 'test/support/kv-worker.ts'), { workerData: { spec, label: 'default', barrier, ...data } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`kv worker exited with ${code}`)); });
  })));
}

/**
 * Registers every case as a `node:test` test; call it inside a `describe` whose `before` made
 * `fixture()` usable. `networked`: also register the outage case (the fixture must give `outage`).
 */
export function keyValueCases(fixture: () => KeyValueCaseFixture, options: { networked: boolean }): void {
  test('CRUD: get, set, overwrite, exists, delete', () => withStore(fixture(), async (s) => {
    assert.equal(await s.get('a'), undefined);
    assert.equal(await s.exists('a'), false);
    await s.set('a', enc('one'));
    assert.equal(dec(await s.get('a')), 'one');
    assert.equal(await s.exists('a'), true);
    await s.set('a', enc('two'));
    assert.equal(dec(await s.get('a')), 'two');
    await s.delete('a');
    await s.delete('a'); // absent: not an error
    assert.equal(await s.exists('a'), false);
    assert.equal(await s.get('a'), undefined);
    assert.equal(s.label, 'default');
  }));

  test('binary values, empty values and Unicode keys round-trip byte for byte', () => withStore(fixture(), async (s) => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7919) & 0xff);
    await s.set('bin', all);
    await s.set('empty', new Uint8Array());
    await s.set('big', big);
    await s.set('ключ/🔑 ', enc('unicode'));
    assert.deepEqual(await s.get('bin'), all);
    assert.deepEqual(await s.get('empty'), new Uint8Array());
    assert.equal(await s.exists('empty'), true);
    assert.deepEqual(await s.get('big'), big);
    assert.equal(dec(await s.get('ключ/🔑 ')), 'unicode');
    // A view into a larger buffer stores only its own bytes.
    const backing = enc('xxhelloxx');
    await s.set('view', backing.subarray(2, 7));
    assert.equal(dec(await s.get('view')), 'hello');
  }));

  test('getKeys lists every key; listKeys pages through all of them with a cursor', () => withStore(fixture(), async (s) => {
    assert.deepEqual(await s.getKeys(), []);
    assert.deepEqual(await s.listKeys(), { keys: [], cursor: undefined });
    const want = Array.from({ length: 1200 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    for (let i = 0; i < want.length; i += 200) await s.setMany(want.slice(i, i + 200).map((k) => [k, enc(k)] as const));
    assert.deepEqual((await s.getKeys()).sort(), want);
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.listKeys(cursor, 100);
      for (const k of page.keys) seen.add(k);
      cursor = page.cursor;
      pages++;
      assert.ok(pages < 1000, 'the listing ends');
    } while (cursor !== undefined);
    assert.ok(pages >= 3, `paged (${pages} pages)`);
    assert.deepEqual([...seen].sort(), want);
  }));

  test('increment: absent counts as 0, stores Spin\'s encoding, rejects a non-counter and overflow', () => withStore(fixture(), async (s) => {
    const fx = fixture();
    assert.equal(await s.increment('c', 1n), 1n);
    assert.equal(await s.increment('c', 2n), 3n);
    assert.equal(await s.increment('c', -10n), -7n);
    const stored = await s.get('c');
    if (fx.counterEncoding === 'i64le') assert.deepEqual(stored, new Uint8Array([0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    else assert.equal(dec(stored), '-7');
    // 64-bit exact, past 2^53.
    assert.equal(await s.increment('big', 2n ** 62n), 2n ** 62n);
    assert.equal(await s.increment('big', 2n ** 62n - 1n), 2n ** 63n - 1n);
    await rejectsOther(s.increment('big', 1n), /overflow/);
    assert.equal(await s.increment('big', 0n), 2n ** 63n - 1n, 'a failed increment changes nothing');
    await s.set('text', enc('hello there'));
    await rejectsOther(s.increment('text', 1n), /./);
    assert.equal(dec(await s.get('text')), 'hello there');
    await rejectsOther(s.increment('c', 2n ** 63n), /64-bit/);
  }));

  test('200 concurrent increments from 4 threads x 50 give exactly 200', () => withStore(fixture(), async (s, _b, spec) => {
    const out = await inWorkers<{ results: bigint[] }>(spec, 4, { key: 'hits', op: 'increment', n: 50 });
    assert.equal(await s.increment('hits', 0n), 200n);
    // Every increment saw a distinct count: none was lost or duplicated.
    const all = out.flatMap((o) => o.results).sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => BigInt(i + 1)));
  }));

  test('compare-and-swap: absent, stale and current expectations', () => withStore(fixture(), async (s) => {
    assert.equal(await s.compareAndSwap('k', undefined, enc('first')), true);
    assert.equal(await s.compareAndSwap('k', undefined, enc('again')), false, 'no longer absent');
    assert.equal(dec(await s.get('k')), 'first');
    assert.equal(await s.compareAndSwap('k', enc('stale'), enc('x')), false);
    assert.equal(await s.compareAndSwap('k', enc('firs'), enc('x')), false, 'a prefix is not equal');
    assert.equal(dec(await s.get('k')), 'first');
    assert.equal(await s.compareAndSwap('k', enc('first'), enc('second')), true);
    assert.equal(dec(await s.get('k')), 'second');
    assert.equal(await s.compareAndSwap('gone', enc('x'), enc('y')), false, 'expected a value, key absent');
    assert.equal(await s.exists('gone'), false);
    const bin = new Uint8Array([0, 255, 0]);
    await s.set('b', bin);
    assert.equal(await s.compareAndSwap('b', new Uint8Array([0, 255, 1]), enc('z')), false);
    assert.equal(await s.compareAndSwap('b', bin, enc('z')), true);
  }));

  test('compare-and-swap under contention: 4 threads x 25 read-modify-write rounds give exactly 100', () => withStore(fixture(), async (s, _b, spec) => {
    await inWorkers<{ failures: number }>(spec, 4, { key: 'counter', op: 'cas', n: 25 });
    assert.equal(dec(await s.get('counter')), '100');
  }));

  test('batch: setMany, getMany in order with absent keys, deleteMany, empty batches', () => withStore(fixture(), async (s) => {
    await s.setMany([['a', enc('1')], ['b', enc('2')], ['c', new Uint8Array([0, 1])]]);
    assert.deepEqual(await s.getMany(['c', 'missing', 'a']), [['c', new Uint8Array([0, 1])], ['missing', undefined], ['a', enc('1')]]);
    await s.deleteMany(['a', 'c', 'never']);
    assert.deepEqual(await s.getMany(['a', 'b', 'c']), [['a', undefined], ['b', enc('2')], ['c', undefined]]);
    assert.deepEqual(await s.getMany([]), []);
    await s.setMany([]);
    await s.deleteMany([]);
    assert.deepEqual(await s.getKeys(), ['b']);
  }));

  test('over-size values and keys, and keys that are not UTF-8, are `other`; nothing is written', () => withStore(fixture(), async (s) => {
    const tooBig = new Uint8Array(DEFAULT_MAX_VALUE_BYTES + 1);
    await rejectsOther(s.set('v', tooBig), new RegExp(`exceeds the limit of ${DEFAULT_MAX_VALUE_BYTES} bytes`));
    await rejectsOther(s.setMany([['ok', enc('fine')], ['v', tooBig]]), /exceeds the limit/);
    await rejectsOther(s.compareAndSwap('v', undefined, tooBig), /exceeds the limit/);
    const longKey = 'k'.repeat(DEFAULT_MAX_KEY_BYTES + 1);
    await rejectsOther(s.set(longKey, enc('x')), /key of \d+ bytes exceeds/);
    await rejectsOther(s.get(longKey), /key of/);
    await s.set('k'.repeat(DEFAULT_MAX_KEY_BYTES), enc('at the limit'));
    for (const bad of ['\uD800', 'a\uDFFFb']) {
      await rejectsOther(s.set(bad, enc('x')), /not valid UTF-8/);
      await rejectsOther(s.get(bad), /not valid UTF-8/);
      await rejectsOther(s.increment(bad, 1n), /not valid UTF-8/);
      await rejectsOther(s.deleteMany(['fine', bad]), /not valid UTF-8/);
    }
    await s.set('max', new Uint8Array(DEFAULT_MAX_VALUE_BYTES));
    assert.equal((await s.get('max'))?.byteLength, DEFAULT_MAX_VALUE_BYTES);
    assert.deepEqual((await s.getKeys()).sort(), ['k'.repeat(DEFAULT_MAX_KEY_BYTES), 'max'].sort(), 'nothing else was written');
  }));

  test('a closed store or backend answers `other`', () => withStore(fixture(), async (s, backend) => {
    await s.set('a', enc('1'));
    const other = await backend.open('default');
    await s.close();
    await s.close();
    await rejectsOther(s.get('a'), /closed/);
    assert.equal(dec(await other.get('a')), '1', 'another handle is unaffected');
    await backend.close();
    await rejectsOther(other.get('a'), /closed/);
    await rejectsOther(backend.open('default'), /closed/);
  }));

  if (!options.networked) return;
  test('a backend that goes away fails calls quickly with `other`, and works again when it returns', async () => {
    const fx = fixture();
    assert.ok(fx.outage, 'a networked fixture gives outage controls');
    const outage = fx.outage;
    await withStore(fx, async (s) => {
      await s.set('a', enc('1'));
      await outage.stop();
      try {
        for (const call of [() => s.get('a'), () => s.set('b', enc('2')), () => s.increment('n', 1n), () => s.listKeys()]) {
          const t0 = performance.now();
          await rejectsOther(call(), /./);
          const ms = performance.now() - t0;
          assert.ok(ms < 1000, `failed in ${ms.toFixed(0)} ms`);
        }
      } finally {
        await outage.start();
      }
      // Reconnects in the background: poll until a call succeeds.
      const t0 = performance.now();
      for (;;) {
        try {
          await s.set('back', enc('yes'));
          break;
        } catch (err) {
          assert.ok(isKeyValueError(err));
          assert.ok(performance.now() - t0 < 10_000, 'reconnected within 10 s');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.equal(dec(await s.get('back')), 'yes');
      assert.equal(await s.increment('n', 5n), 5n);
    });
  });
}
