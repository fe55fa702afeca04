// The Redis trigger end to end with a real redis-server and a component built with Spin's JS SDK
// (`spin-redis` world, test/fixtures/components/redis-sdk-worker): per-channel order (a
// read-modify-write counter counts exactly), failures that do not stop the subscription, a slow
// channel that does not hold up another, and a Redis restart that the trigger survives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEventTriggers } from '../../src/triggers/event-triggers.ts';
import { startRedisServer, type RedisServer } from '../support/redis-server.ts';
import { buildSpinSdkComponent } from '../support/spin-sdk.ts';
import { repoRoot } from '../support/fixtures.ts';
import { loadTestApp, redisClient, waitFor } from '../support/redis-apps.ts';

const WORKER = `${repoRoot}/test/fixtures/components/redis-sdk-worker/worker.js`;

function manifest(source: string, server: RedisServer): string {
  return `spin_manifest_version = 2
[application]
name = "redis-app"
[application.trigger.redis]
address = "{{ redis_url }}"
[variables]
redis_url = { default = "${server.url(0)}" }
jobs_channel = { default = "jobs" }
[[trigger.redis]]
channel = "{{ jobs_channel }}"
component = "worker"
[[trigger.redis]]
channel = "slow"
component = "worker"
[[trigger.redis]]
channel = "fast"
component = "worker"
[component.worker]
source = "${source}"
allowed_outbound_hosts = ["redis://127.0.0.1:${server.port}"]
[component.worker.variables]
redis_address = "{{ redis_url }}"
`;
}

async function setup(t: { after(fn: () => void | Promise<void>): void }) {
  const [source, server] = await Promise.all([buildSpinSdkComponent(WORKER, 'spin-redis'), startRedisServer()]);
  t.after(() => server.dispose());
  const app = await loadTestApp(t, manifest(source, server));
  const lines: string[] = [];
  const log = { event: (level: string, message: string) => { lines.push(`${level} ${message}`); } };
  // Three workers, so that step 3's two messages each find an idle one. With two, the worker that
  // ran step 2's last message may still count as busy when `fast` arrives (the guest's RPUSH,
  // which the test waits for, reaches Redis before the worker's `done` reaches the pool): `fast`
  // then joins `slow`'s worker and waits out its 3 s spin (or its Redis `open` times out there).
  const events = await startEventTriggers(app, { workers: 3, defaultTimeoutMs: 30_000, log });
  assert.ok(events);
  t.after(() => events.close());
  await events.ready;
  const redis = await redisClient(t, server.url(0));
  return { server, redis, lines };
}

test('redis trigger: in order per channel, failures logged and survived, slow channel apart, Redis restart resumed', async (t) => {
  const { server, redis, lines } = await setup(t);
  assert.ok(lines.some((l) => /subscribed to 'jobs', 'slow', 'fast'/.test(l)), lines.join('\n'));

  // 1. One channel's messages run one at a time, in order: 100 read-modify-writes count to 100.
  for (let i = 0; i < 100; i++) await redis.publish('jobs', 'incr counter');
  await redis.publish('jobs', 'record jobs-done 1');
  await waitFor('the 101st message', async () => (await redis.lRange('jobs-done', 0, -1)).length > 0 || undefined);
  assert.equal(await redis.get('counter'), '100');

  // 2. An `error` value and a trap are logged with channel and message id; the channel goes on.
  await redis.publish('jobs', 'fail');
  await redis.publish('jobs', 'trap');
  await redis.publish('jobs', 'record after-failures 1');
  await waitFor('the message after the failures', async () => (await redis.lRange('after-failures', 0, -1)).length > 0 || undefined);
  assert.ok(lines.some((l) => /^error .*channel 'jobs' message jobs#102: WASMLET_ERR_GUEST_HANDLER_ERROR/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^error .*channel 'jobs' message jobs#103: /.test(l)), lines.join('\n'));

  // 3. A handler busy for 3 s on `slow` does not delay `fast` (handled on another worker).
  await redis.publish('slow', 'spin 3000 order slow');
  await redis.publish('fast', 'record order fast');
  await waitFor(() => `both handlers\n${lines.join('\n')}`, async () => (await redis.lRange('order', 0, -1)).length === 2 || undefined);
  assert.deepEqual(await redis.lRange('order', 0, -1), ['fast', 'slow']);

  // 4. Redis restarts: the trigger logs the loss, reconnects, subscribes again and goes on.
  await server.stop();
  await server.start();
  await waitFor('the reconnection log line', () => lines.some((l) => /reconnected to redis:\/\/127\.0\.0\.1:\d+\/0; subscriptions resumed/.test(l)) || undefined);
  assert.ok(lines.some((l) => /connection to redis:\/\/127\.0\.0\.1:\d+\/0 lost/.test(l)), lines.join('\n'));
  await waitFor('a subscriber again', async () => (await redis.publish('jobs', 'record after-restart 1')) > 0 || undefined);
  await waitFor('a message after the restart', async () => (await redis.lRange('after-restart', 0, -1)).length > 0 || undefined);
});
