// The pub/sub subscriber against a real redis-server whose ACL refuses the trigger's channel: the
// refusal is logged and retried (never an unhandled rejection, which would end `wasmlet serve`),
// and stopping ends the retries.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@redis/client';
import type { LockedRedisTrigger } from '../../app/locked-app.ts';
import type { EventRuntime } from '../event-runtime.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import { SUBSCRIBE_RETRY_MS, subscribeRedis } from './pubsub-subscriber.ts';

async function until<T>(what: string, probe: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A real redis-server with a user `limited` whose ACL refuses the channel `jobs`, an admin client,
 * and a subscriber for `jobs` logging in as that user; payloads handled go to `handled`.
 */
async function refusedSubscriber(t: TestContext) {
  const server = await startRedisServer();
  const admin = createClient({ url: server.url(0) });
  // After hooks run in the order added: the client goes before its server.
  t.after(async () => { admin.destroy(); await server.dispose(); });
  await admin.connect();
  await admin.sendCommand(['ACL', 'SETUSER', 'limited', 'on', '>pw', '~*', 'resetchannels', '&other', '+@all']);
  const lines: string[] = [];
  const handled: string[] = [];
  const runtime = {
    invoke: async (_component: string, event: { payload?: Uint8Array }) => { handled.push(Buffer.from(event.payload!).toString()); },
    close: async () => {},
  } as unknown as EventRuntime;
  const address = `redis://limited:pw@127.0.0.1:${server.port}`;
  const trigger = { id: 't', component: 'worker', address, channel: 'jobs' } as LockedRedisTrigger;
  const sub = subscribeRedis(address, [trigger], runtime, { event: (_level, message) => { lines.push(message); } });
  return { admin, sub, lines, handled, refusals: () => lines.filter((l) => l.includes('cannot subscribe')) };
}

test('a SUBSCRIBE the ACL refuses is logged and retried; ready never rejects and resolves on stop', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => { unhandled.push(err); };
  process.on('unhandledRejection', onUnhandled);
  t.after(() => { process.off('unhandledRejection', onUnhandled); });
  const { sub, lines, refusals } = await refusedSubscriber(t);
  let settled = false;
  void sub.ready.then(() => { settled = true; });

  await until('the refusal', () => (refusals().length > 0 ? true : undefined), 5000);
  assert.match(refusals()[0]!, /NOPERM.*retrying in \d+ ms/);
  // Retried, still refused (the ACL did not change), still nothing subscribed.
  await until('the retry', () => (refusals().length > 1 ? true : undefined), SUBSCRIBE_RETRY_MS + 5000);
  assert.ok(!lines.some((l) => l.includes('subscribed to')), lines.join('\n'));
  assert.equal(settled, false);

  await sub.stop();
  await sub.ready; // resolves once stopped, never rejects
  assert.deepEqual(unhandled, []);
  // Nothing is retried after stop.
  const after = refusals().length;
  await new Promise((r) => setTimeout(r, SUBSCRIBE_RETRY_MS + 200));
  assert.equal(refusals().length, after);
});

test('once the ACL allows the channel, the retried SUBSCRIBE succeeds and messages flow', async (t) => {
  const { admin, sub, lines, handled, refusals } = await refusedSubscriber(t);
  t.after(() => sub.stop());
  await until('the refusal', () => (refusals().length > 0 ? true : undefined), 5000);
  await admin.sendCommand(['ACL', 'SETUSER', 'limited', 'allchannels']);
  await until('the retried SUBSCRIBE', () => lines.find((l) => l.includes("subscribed to 'jobs'")), SUBSCRIBE_RETRY_MS + 5000);
  await sub.ready;
  assert.equal(await admin.publish('jobs', 'hello'), 1);
  await until('the message', () => (handled.length > 0 ? true : undefined), 5000);
  assert.deepEqual(handled, ['hello']);
});
