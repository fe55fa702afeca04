// wasi:keyvalue and wasi:config as jco's glue calls them (interface objects, resource classes,
// errors thrown with a WIT `payload`); the guest side, on both backends, is in
// test/e2e/serve-wasi-keyvalue.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyValueError } from '../kv/kv-error.ts';
import { createSpinHost } from './host.ts';
import { SpinThreadBackends } from './thread-backends.ts';
import { toWasiKeyValueError } from './wasi-keyvalue.ts';
import { witErrorOf } from '../../../test/support/wit-error.ts';

type Bytes = Uint8Array | undefined;
interface Bucket {
  get(k: string): Promise<Bytes>; set(k: string, v: Uint8Array): Promise<void>; delete(k: string): Promise<void>;
  exists(k: string): Promise<boolean>; listKeys(c: string | undefined): Promise<{ keys: string[]; cursor: string | undefined }>;
  [Symbol.dispose](): void;
}
interface Cas { current(): Promise<Bytes>; [Symbol.dispose](): void }
interface Wasi {
  open(label: string): Promise<Bucket>;
  Cas: { 'new'(b: Bucket, k: string): Promise<Cas> };
  increment(b: Bucket, k: string, d: bigint): Promise<bigint>;
  swap(c: Cas, v: Uint8Array): Promise<void>;
  getMany(b: Bucket, ks: string[]): Promise<Array<[string, Bytes]>>;
  setMany(b: Bucket, kvs: Array<[string, Uint8Array]>): Promise<void>;
  deleteMany(b: Bucket, ks: string[]): Promise<void>;
}

const enc = (s: string) => new TextEncoder().encode(s);

function setup(t: { after(fn: () => void | Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-wasi-kv-'));
  const backends = new SpinThreadBackends();
  t.after(async () => { await backends.close(); rmSync(dir, { recursive: true, force: true }); });
  const host = createSpinHost({
    componentId: 'web', variables: { b: '2', a: '1' }, keyValueStores: ['default'], knownKeyValueStores: ['default', 'cache'],
    keyValueBackends: { default: { type: 'spin', path: join(dir, 'kv.db') } },
  }, backends);
  const i = host.imports as Record<string, object>;
  const wasi = { ...i['wasi:keyvalue/store'], ...i['wasi:keyvalue/atomics'], ...i['wasi:keyvalue/batch'] } as unknown as Wasi;
  const config = i['wasi:config/store'] as { get(k: string): string | undefined; getAll(): Array<[string, string]> };
  return { host, wasi, config };
}

test('open: granted bucket; access-denied for a known label not granted; no-such-store otherwise', async (t) => {
  const { wasi } = setup(t);
  const b = await wasi.open('default');
  await b.set('k', enc('v'));
  assert.deepEqual(await b.get('k'), enc('v'));
  assert.deepEqual(await witErrorOf(() => wasi.open('cache')), { tag: 'access-denied' });
  assert.deepEqual(await witErrorOf(() => wasi.open('nope')), { tag: 'no-such-store' });
});

test('list-keys: the cursor walks every key once the listing is complete', async (t) => {
  const { wasi } = setup(t);
  const b = await wasi.open('default');
  const keys = Array.from({ length: 2100 }, (_, n) => `k${n}`);
  await wasi.setMany(b, keys.map((k) => [k, enc('x')]));
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await b.listKeys(cursor);
    seen.push(...page.keys);
    cursor = page.cursor;
    pages++;
  } while (cursor !== undefined);
  assert.equal(pages, 3);
  assert.deepEqual(seen.sort(), [...keys].sort());
});

test('increment: negative deltas and the s64 range; overflow is other and changes nothing', async (t) => {
  const { wasi } = setup(t);
  const b = await wasi.open('default');
  assert.equal(await wasi.increment(b, 'n', -5n), -5n);
  assert.equal(await wasi.increment(b, 'n', 2n ** 63n - 1n), 2n ** 63n - 1n - 5n);
  assert.equal((await witErrorOf(() => wasi.increment(b, 'n', 10n))).tag, 'other');
  assert.equal(await wasi.increment(b, 'n', 0n), 2n ** 63n - 1n - 5n);
});

test('cas: swap against current(); a lost race is cas-failed with a fresh, read handle; an over-size value is store-error', async (t) => {
  const { wasi } = setup(t);
  const b = await wasi.open('default');
  await b.set('k', enc('a'));
  const cas = await wasi.Cas.new(b, 'k');
  assert.deepEqual(await cas.current(), enc('a'));
  await b.set('k', enc('b'));
  const failed = await witErrorOf(() => wasi.swap(cas, enc('c')));
  assert.equal(failed.tag, 'cas-failed');
  const retry = failed.val as Cas;
  assert.deepEqual(await retry.current(), enc('b'));
  // A cas outlives its bucket handle.
  b[Symbol.dispose]();
  await wasi.swap(retry, enc('c'));
  const b2 = await wasi.open('default');
  assert.deepEqual(await b2.get('k'), enc('c'));
  const big = await wasi.Cas.new(b2, 'k');
  await big.current();
  const err = await witErrorOf(() => wasi.swap(big, new Uint8Array(16 * 1024 * 1024 + 1)));
  assert.equal(err.tag, 'store-error');
  assert.equal((err.val as { tag: string }).tag, 'other');
  assert.deepEqual(await b2.get('k'), enc('c'));
});

test('batch: get-many in order with none for absent keys; set-many all or nothing; delete-many', async (t) => {
  const { wasi } = setup(t);
  const b = await wasi.open('default');
  await wasi.setMany(b, [['a', enc('1')], ['b', enc('2')]]);
  assert.deepEqual(await wasi.getMany(b, ['b', 'x', 'a']), [['b', enc('2')], ['x', undefined], ['a', enc('1')]]);
  assert.equal((await witErrorOf(() => wasi.setMany(b, [['c', enc('3')], ['\uD800', enc('4')]]))).tag, 'other');
  assert.equal(await b.exists('c'), false);
  await wasi.deleteMany(b, ['a', 'b', 'x']);
  assert.deepEqual(await wasi.getMany(b, ['a', 'b']), [['a', undefined], ['b', undefined]]);
});

test('a bucket or cas used after the instance retired is other (the store is closed)', async (t) => {
  const { host, wasi } = setup(t);
  const b = await wasi.open('default');
  const cas = await wasi.Cas.new(b, 'k');
  host.close();
  assert.deepEqual(await witErrorOf(() => b.get('k')), { tag: 'other', val: 'the key-value store is closed' });
  assert.equal((await witErrorOf(() => cas.current())).tag, 'other');
  assert.equal((await witErrorOf(() => wasi.increment(b, 'n', 1n))).tag, 'other');
});

test('errors: store-table-full becomes other, as Spin\'s to_wasi_err; a plain Error becomes other', () => {
  assert.deepEqual(toWasiKeyValueError(new KeyValueError({ tag: 'store-table-full' })).payload, { tag: 'other', val: 'store table full' });
  assert.deepEqual(toWasiKeyValueError(new Error('boom')).payload, { tag: 'other', val: 'boom' });
});

test('wasi:config: get, none for unknown or malformed names, get-all in name order', (t) => {
  const { config } = setup(t);
  assert.equal(config.get('a'), '1');
  assert.equal(config.get('zz'), undefined);
  assert.equal(config.get('Not A Name'), undefined);
  assert.equal(config.get('__proto__'), undefined);
  assert.deepEqual(config.getAll(), [['a', '1'], ['b', '2']]);
});
