// fermyon:spin/redis@2.0.0 as jco's glue calls it, over a real redis-server: grants from
// allowed_outbound_hosts (invalid-address as Spin), every method, execute's reply mapping,
// type-error, and a connection reused by the next open on the thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllowedHosts } from '../http-outbound/allowed-hosts.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import { createSpinHost } from './host.ts';
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
