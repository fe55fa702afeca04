// The fermyon:spin host as jco's glue calls it (interface objects, resource classes, errors
// thrown with a WIT `payload`); the guest side is in test/e2e/serve-spin.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpinHost } from './host.ts';
import type { SpinHostOptions } from './options.ts';
import { SpinThreadBackends } from './thread-backends.ts';
import { witErrorOf } from '../../../test/support/wit-error.ts';

const errorOf = witErrorOf;

interface StoreLike { get(k: string): Promise<Uint8Array | undefined>; set(k: string, v: Uint8Array): Promise<void>; delete(k: string): Promise<void>; exists(k: string): Promise<boolean>; getKeys(): Promise<string[]>; [Symbol.dispose](): void }
interface Iface { Store: { open(l: string): Promise<StoreLike> }; Connection: { open(l: string): Promise<{ execute(s: string, p: unknown[]): Promise<{ columns: string[]; rows: { values: { tag: string; val?: unknown }[] }[] }> }> }; get(n: string): string }

function setup(t: { after(fn: () => void | Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-spin-host-'));
  const backends = new SpinThreadBackends();
  t.after(async () => { await backends.close(); rmSync(dir, { recursive: true, force: true }); });
  const options: SpinHostOptions = {
    componentId: 'web',
    variables: { greeting: 'hello', token: 's3cret' },
    keyValueStores: ['default'],
    sqliteDatabases: ['default'],
    knownKeyValueStores: ['default', 'cache'],
    knownSqliteDatabases: ['default', 'reports'],
    keyValueBackends: { default: { type: 'spin', path: join(dir, 'state', 'sqlite_key_value.db') } },
    sqliteBackends: { default: { path: join(dir, 'state', 'sqlite_db.db') } },
  };
  const iface = (host: ReturnType<typeof createSpinHost>) => ({
    ...host.imports['fermyon:spin/key-value'], ...host.imports['fermyon:spin/sqlite'], ...host.imports['fermyon:spin/variables'],
  }) as unknown as Iface;
  return { dir, backends, options, iface };
}

test('variables: the resolved value; invalid-name and undefined as Spin words them', async (t) => {
  const { backends, options, iface } = setup(t);
  const v = iface(createSpinHost(options, backends));
  assert.equal(v.get('greeting'), 'hello');
  assert.deepEqual(await errorOf(() => v.get('nope')), { tag: 'undefined', val: 'no variable for "web"."nope"' });
  assert.equal((await errorOf(() => v.get('Greeting'))).tag, 'invalid-name');
  assert.equal((await errorOf(() => v.get('a__b'))).tag, 'invalid-name');
  assert.equal((await errorOf(() => v.get(''))).tag, 'invalid-name');
});

test('key-value: granted store works; its SQLite file and state dir appear on first open only', async (t) => {
  const { dir, backends, options, iface } = setup(t);
  const host = createSpinHost(options, backends);
  assert.equal(existsSync(join(dir, 'state')), false);
  const store = await iface(host).Store.open('default');
  assert.ok(existsSync(join(dir, 'state', 'sqlite_key_value.db')));
  assert.equal(await store.get('k'), undefined);
  await store.set('k', new TextEncoder().encode('v'));
  assert.equal(await store.exists('k'), true);
  assert.deepEqual(new TextDecoder().decode(await store.get('k')), 'v');
  assert.deepEqual(await store.getKeys(), ['k']);
  await store.delete('k');
  assert.equal(await store.exists('k'), false);
  // A bad key is the interface's `other`, not a trap.
  assert.equal((await errorOf(() => store.set('\uD800', new Uint8Array(1)))).tag, 'other');
  store[Symbol.dispose]();
  assert.equal((await errorOf(() => store.get('k'))).tag, 'other');
  host.close();
});

test('key-value: an ungranted label the app knows is access-denied; an unknown one no-such-store', async (t) => {
  const { backends, options, iface } = setup(t);
  const kv = iface(createSpinHost(options, backends));
  assert.deepEqual(await errorOf(() => kv.Store.open('cache')), { tag: 'access-denied' });
  assert.deepEqual(await errorOf(() => kv.Store.open('nobody')), { tag: 'no-such-store' });
  // Nothing granted at all (a component without key_value_stores): default is still known.
  const bare = iface(createSpinHost({ componentId: 'x', knownKeyValueStores: ['default'] }, backends));
  assert.deepEqual(await errorOf(() => bare.Store.open('default')), { tag: 'access-denied' });
});

test('key-value: instances on one thread share one backend connection; writes are seen across them', async (t) => {
  const { backends, options, iface } = setup(t);
  const spec = options.keyValueBackends!['default']!;
  const a = await iface(createSpinHost(options, backends)).Store.open('default');
  await a.set('n', new Uint8Array([7]));
  const b = await iface(createSpinHost(options, backends)).Store.open('default');
  assert.deepEqual(await b.get('n'), new Uint8Array([7]));
  assert.equal(backends.keyValue(spec), backends.keyValue(spec));
});

test('sqlite: granted database executes; access-denied and no-such-database as for stores', async (t) => {
  const { backends, options, iface } = setup(t);
  const db = iface(createSpinHost(options, backends));
  const conn = await db.Connection.open('default');
  await conn.execute('CREATE TABLE t (a INTEGER, b TEXT)', []);
  await conn.execute('INSERT INTO t VALUES (?, ?)', [{ tag: 'integer', val: 5n }, { tag: 'text', val: 'x' }]);
  const r = await conn.execute('SELECT a, b FROM t', []);
  assert.deepEqual(r, { columns: ['a', 'b'], rows: [{ values: [{ tag: 'integer', val: 5n }, { tag: 'text', val: 'x' }] }] });
  assert.equal((await errorOf(() => conn.execute('SELEC nonsense', []))).tag, 'io');
  assert.deepEqual(await errorOf(() => db.Connection.open('reports')), { tag: 'access-denied' });
  assert.deepEqual(await errorOf(() => db.Connection.open('other')), { tag: 'no-such-database' });
});

test('interfaces wasmlet does not back link, and answer their own error variant saying so', async (t) => {
  const { backends, options } = setup(t);
  const { imports } = createSpinHost(options, backends);
  const llm = imports['fermyon:spin/llm'] as { infer(): unknown; generateEmbeddings(): unknown };
  assert.deepEqual(await errorOf(() => llm.infer()), { tag: 'runtime-error', val: 'wasmlet does not provide fermyon:spin/llm@2.0.0' });
  assert.equal((await errorOf(() => llm.generateEmbeddings())).tag, 'runtime-error');
  for (const name of ['mqtt', 'postgres', 'mysql']) {
    const { Connection } = imports[`fermyon:spin/${name}`] as { Connection: { open(): unknown } };
    assert.deepEqual(await errorOf(() => Connection.open()), { tag: 'other', val: `wasmlet does not provide fermyon:spin/${name}@2.0.0` });
  }
  assert.ok(imports['fermyon:spin/rdbms-types']);
});

test('key-value on Redis: the same interface over a real redis-server (client loaded on first open)', async (t) => {
  const { startRedisServer } = await import('../../../test/support/redis-server.ts');
  const server = await startRedisServer();
  const backends = new SpinThreadBackends();
  t.after(async () => { await backends.close(); await server.dispose(); });
  const options: SpinHostOptions = {
    componentId: 'web', keyValueStores: ['shared'], knownKeyValueStores: ['default', 'shared'],
    keyValueBackends: { shared: { type: 'redis', url: server.url(3) } },
  };
  const kv = createSpinHost(options, backends).imports['fermyon:spin/key-value'] as unknown as Iface;
  const store = await kv.Store.open('shared');
  await store.set('n', new TextEncoder().encode('41'));
  const again = await (createSpinHost(options, backends).imports['fermyon:spin/key-value'] as unknown as Iface).Store.open('shared');
  assert.equal(new TextDecoder().decode(await again.get('n')), '41');
  assert.deepEqual(await again.getKeys(), ['n']);
  assert.deepEqual(await errorOf(() => kv.Store.open('default')), { tag: 'access-denied' });
  // Redis gone: the guest gets `other`, the host stays up.
  await server.stop();
  assert.equal((await errorOf(() => store.get('n'))).tag, 'other');
});
