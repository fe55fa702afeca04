// fermyon:spin/redis@2.0.0 as jco's glue calls it, over a real redis-server: grants from
// allowed_outbound_hosts (invalid-address as Spin), every method, execute's reply mapping,
// type-error, a connection reused by the next open on the thread unless its guest changed the
// connection's state (SELECT, MULTI: then closed, never seen by the next tenant), and the
// per-instance cap (too-many-connections).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllowedHosts } from '../http-outbound/allowed-hosts.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import { createSpinHost } from './host.ts';
import { createSpinRedis } from './redis.ts';
import { SpinThreadBackends } from './thread-backends.ts';

interface Conn {
  publish(c: string, p: Uint8Array): Promise<void>; get(k: string): Promise<Uint8Array | undefined>; set(k: string, v: Uint8Array): Promise<void>;
  incr(k: string): Promise<bigint>; del(k: string[]): Promise<number>; sadd(k: string, v: string[]): Promise<number>;
  smembers(k: string): Promise<string[]>; srem(k: string, v: string[]): Promise<number>;
  execute(c: string, a: ({ tag: 'int64'; val: bigint } | { tag: 'binary'; val: Uint8Array })[]): Promise<unknown[]>;
  [Symbol.dispose](): void;
}
async function errorOf(call: () => unknown): Promise<unknown> {
  try { await call(); } catch (err) { return (err as { payload?: unknown }).payload; }
  assert.fail('expected an error');
}
const enc = (s: string) => new TextEncoder().encode(s);

test('outbound redis: allowed address works end to end; others are invalid-address', async (t) => {
  const server = await startRedisServer();
  const backends = new SpinThreadBackends();
  t.after(async () => { await backends.close(); await server.dispose(); });
  const host = createSpinHost({ componentId: 'c', allowedOutboundHosts: parseAllowedHosts([`redis://127.0.0.1:${server.port}`]) }, backends);
  const { Connection } = host.imports['fermyon:spin/redis'] as { Connection: { open(a: string): Promise<Conn> } };
  assert.deepEqual(await errorOf(() => Connection.open('redis://127.0.0.1:1')), { tag: 'invalid-address' });
  // A service chaining name is never a Redis, even under a grant that allows every host: no DNS lookup.
  const everything = createSpinHost({ componentId: 'c', allowedOutboundHosts: parseAllowedHosts(['*://*:*']) }, backends)
    .imports['fermyon:spin/redis'] as { Connection: { open(a: string): Promise<Conn> } };
  assert.deepEqual(await errorOf(() => everything.Connection.open('redis://hello.spin.internal:6379')), { tag: 'invalid-address' });
  assert.deepEqual(await errorOf(() => Connection.open('http://127.0.0.1:80')), { tag: 'invalid-address' });
  assert.deepEqual(await errorOf(() => Connection.open('not a url')), { tag: 'invalid-address' });
  const denied = createSpinHost({ componentId: 'c' }, backends).imports['fermyon:spin/redis'] as { Connection: { open(a: string): Promise<Conn> } };
  assert.deepEqual(await errorOf(() => denied.Connection.open(server.url(0))), { tag: 'invalid-address' });

  const c = await Connection.open(server.url(0));
  assert.equal(await c.get('k'), undefined);
  await c.set('k', enc('v\u0000w'));
  assert.deepEqual(await c.get('k'), enc('v\u0000w'));
  assert.equal(await c.incr('n'), 1n);
  assert.equal(await c.incr('n'), 2n);
  assert.deepEqual(await errorOf(() => c.incr('k')), { tag: 'type-error' });
  assert.equal(await c.sadd('s', ['a', 'b', 'a']), 2);
  assert.deepEqual((await c.smembers('s')).sort(), ['a', 'b']);
  assert.equal(await c.srem('s', ['a', 'z']), 1);
  assert.equal(await c.del(['k', 'n', 'none']), 2);
  await c.publish('ch', enc('hi'));
  assert.deepEqual(await c.execute('SET', [{ tag: 'binary', val: enc('x') }, { tag: 'int64', val: 42n }]), [{ tag: 'status', val: 'OK' }]);
  assert.deepEqual(await c.execute('INCRBY', [{ tag: 'binary', val: enc('x') }, { tag: 'int64', val: 1n }]), [{ tag: 'int64', val: 43n }]);
  assert.deepEqual(await c.execute('GET', [{ tag: 'binary', val: enc('missing') }]), [{ tag: 'nil' }]);
  await c.execute('RPUSH', [{ tag: 'binary', val: enc('l') }, { tag: 'binary', val: enc('a') }, { tag: 'binary', val: enc('b') }]);
  assert.deepEqual(await c.execute('LRANGE', [{ tag: 'binary', val: enc('l') }, { tag: 'int64', val: 0n }, { tag: 'int64', val: -1n }]),
    [{ tag: 'binary', val: enc('a') }, { tag: 'binary', val: enc('b') }]);
  assert.equal(((await errorOf(() => c.execute('NOSUCHCOMMAND', []))) as { tag: string }).tag, 'other');
  c[Symbol.dispose]();
  // Redis gone: open fails with `other`, the host stays up.
  host.close();
  await server.stop();
  const again = createSpinHost({ componentId: 'c', allowedOutboundHosts: parseAllowedHosts([`redis://127.0.0.1:${server.port}`]) }, backends);
  const { Connection: Again } = again.imports['fermyon:spin/redis'] as { Connection: { open(a: string): Promise<Conn> } };
  // The idle connection may not know yet that Redis is gone: then its first call fails instead.
  const failure = await Again.open(server.url(0)).then((conn) => errorOf(() => conn.get('k')), (err: { payload?: unknown }) => err.payload);
  assert.equal((failure as { tag?: string }).tag, 'other');
  again.close();
});

type Opener = { open(a: string): Promise<Conn> };
const bin = (s: string) => ({ tag: 'binary' as const, val: enc(s) });

/** A redis-server and a factory of instances (tenants) sharing one thread's connections. */
async function tenants(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; tenant: () => Opener }> {
  const server = await startRedisServer();
  const backends = new SpinThreadBackends();
  t.after(async () => { await backends.close(); await server.dispose(); });
  const allowed = parseAllowedHosts([`redis://127.0.0.1:${server.port}`]);
  const tenant = () => (createSpinHost({ componentId: 'c', allowedOutboundHosts: allowed }, backends).imports['fermyon:spin/redis'] as { Connection: Opener }).Connection;
  return { url: server.url(0), tenant };
}

test('outbound redis: a connection whose guest used only the typed commands is reused by the next open', async (t) => {
  const { url, tenant } = await tenants(t);
  // Connections the server has accepted so far, read on a connection held open throughout.
  const observer = await tenant().open(url);
  const accepted = async () => {
    const info = await observer.execute('INFO', [bin('stats')]) as Array<{ val: Uint8Array }>;
    return Number(/total_connections_received:(\d+)/.exec(Buffer.from(info[0]!.val).toString())![1]);
  };

  // Typed calls (and execute of their own commands) leave the connection clean: the next open reuses it.
  const before = await accepted();
  const plain = await tenant().open(url);
  await plain.set('p', enc('1'));
  assert.deepEqual(await plain.execute('get', [bin('p')]), [{ tag: 'binary', val: enc('1') }]);
  plain[Symbol.dispose]();
  const reused = await tenant().open(url);
  assert.deepEqual(await reused.get('p'), enc('1'));
  reused[Symbol.dispose]();
  assert.equal(await accepted(), before + 1);
  // A tainted one is not: the next open connects anew.
  const selecting = await tenant().open(url);
  await selecting.execute('SELECT', [{ tag: 'int64', val: 0n }]);
  selecting[Symbol.dispose]();
  (await tenant().open(url))[Symbol.dispose]();
  assert.equal(await accepted(), before + 2);
  observer[Symbol.dispose]();
});

test('outbound redis: one guest\'s SELECT never reaches the next open on the thread', async (t) => {
  const { url, tenant } = await tenants(t);
  // Tenant A selects db 5 and writes there; tenant B's open of db 0 must not see it.
  const a = await tenant().open(url);
  assert.deepEqual(await a.execute('SELECT', [{ tag: 'int64', val: 5n }]), [{ tag: 'status', val: 'OK' }]);
  await a.set('secret', enc('tenantA'));
  a[Symbol.dispose]();
  const b = await tenant().open(url);
  assert.equal(await b.get('secret'), undefined);
  // A's write did land in db 5 (the SELECT was real).
  await b.execute('SELECT', [{ tag: 'int64', val: 5n }]);
  assert.deepEqual(await b.get('secret'), enc('tenantA'));
  b[Symbol.dispose]();
});

test('outbound redis: one guest\'s open MULTI never reaches the next open on the thread', async (t) => {
  const { url, tenant } = await tenants(t);
  // Tenant C leaves a transaction open; D's commands run at once, not QUEUED.
  const c = await tenant().open(url);
  assert.deepEqual(await c.execute('MULTI', []), [{ tag: 'status', val: 'OK' }]);
  c[Symbol.dispose]();
  const d = await tenant().open(url);
  await d.set('x', enc('1'));
  assert.deepEqual(await d.get('x'), enc('1'));
  d[Symbol.dispose]();
});

test('outbound redis: an instance holds at most its cap of connections (too-many-connections)', async (t) => {
  const server = await startRedisServer();
  const backends = new SpinThreadBackends();
  t.after(async () => { await backends.close(); await server.dispose(); });
  const redis = createSpinRedis(parseAllowedHosts([`redis://127.0.0.1:${server.port}`]), backends, 2);
  const { Connection } = redis.imports as { Connection: Opener };
  const first = await Connection.open(server.url(0));
  const second = await Connection.open(server.url(0));
  assert.deepEqual(await errorOf(() => Connection.open(server.url(0))), { tag: 'too-many-connections' });
  // Another instance on the thread has its own cap.
  const other = createSpinRedis(parseAllowedHosts([`redis://127.0.0.1:${server.port}`]), backends, 2);
  const elsewhere = await (other.imports as { Connection: Opener }).Connection.open(server.url(0));
  elsewhere[Symbol.dispose]();
  other.close();
  // Dropping one frees its place.
  first[Symbol.dispose]();
  const third = await Connection.open(server.url(0));
  await third.set('k', enc('v'));
  // Once the instance retires, its handles no longer reach a connection (which may be another's now).
  redis.close();
  assert.equal(((await errorOf(() => second.get('k'))) as { tag: string }).tag, 'other');
  assert.equal(((await errorOf(() => third.get('k'))) as { tag: string }).tag, 'other');
});

test('outbound redis: a neighbour guest blocking the thread past the connect timeout does not fail an open in flight', async (t) => {
  const server = await startRedisServer();
  const backends = new SpinThreadBackends();
  t.after(async () => { await backends.close(); await server.dispose(); });
  const host = createSpinHost({ componentId: 'c', allowedOutboundHosts: parseAllowedHosts([`redis://127.0.0.1:${server.port}`]) }, backends);
  const { Connection } = host.imports['fermyon:spin/redis'] as { Connection: { open(a: string): Promise<Conn> } };
  const opening = Connection.open(server.url(0));
  // Another guest on this worker holds the thread for longer than REDIS_CONNECT_TIMEOUT_MS (2 s);
  // the connection completed meanwhile. (A plain 2 s timer fired first here: `other`, "did not answer".)
  const end = performance.now() + 2600;
  while (performance.now() < end) { /* a CPU-bound neighbour */ }
  const c = await opening;
  await c.set('after-stall', enc('ok'));
  assert.deepEqual(await c.get('after-stall'), enc('ok'));
  c[Symbol.dispose]();
});
