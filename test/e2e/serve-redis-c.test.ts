// The Redis trigger end to end with a C guest: `wasmlet serve` (a child process) on a real
// redis-server, one `[[trigger.redis]]` channel served by test/fixtures/components/c-redis-worker
// (a reactor component whose `fermyon:spin/inbound-redis` `handle-message` export and
// `fermyon:spin/redis@2.0.0` imports are written by hand in C; it publishes each outcome on
// `handled`). Its messages are handled in publish order, and an `err` result is logged with the
// channel and message id without stopping the subscription.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCRedisWorkerComponent } from '../support/components.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { startServe, stopServe } from '../support/serve-child.ts';
import { appDir, redisClient, TEST_CACHE_DIR, waitFor } from '../support/redis-apps.ts';

test('redis trigger with a C component: messages handled in order, an err logged and survived', async (t) => {
  const [source, server] = await Promise.all([buildCRedisWorkerComponent(), startRedisServer()]);
  t.after(() => server.dispose());
  const dir = appDir(t, `spin_manifest_version = 2
[application]
name = "c-redis"
[application.trigger.redis]
address = "${server.url(0)}"
[[trigger.redis]]
channel = "jobs"
component = "worker"
[component.worker]
source = "${source}"
environment = { REDIS_ADDRESS = "${server.url(0)}" }
allowed_outbound_hosts = ["redis://127.0.0.1:${server.port}"]
`);
  const serve = await startServe([dir, '--workers', '1'], { WASMLET_CACHE_DIR: TEST_CACHE_DIR }, /subscribed to 'jobs'/);
  t.after(() => stopServe(serve));
  const redis = await redisClient(t, server.url(0));
  const outcomes: string[] = [];
  const subscriber = await redisClient(t, server.url(0));
  await subscriber.subscribe('handled', (message) => { outcomes.push(message); });

  const payloads = ['one', 'two', 'fail', 'three', ...Array.from({ length: 20 }, (_, i) => `m${i}`)];
  for (const p of payloads) assert.equal(await redis.publish('jobs', p), 1, 'serve is subscribed');
  await waitFor(() => `the last message\n${serve.logs()}`, () => outcomes.includes('handled m19') || undefined, 10_000);

  assert.deepEqual(outcomes, payloads.map((p) => `${p === 'fail' ? 'rejected' : 'handled'} ${p}`));
  // The third message's `err(error::error)` is logged with channel and message id; nothing else failed.
  const errors = serve.logs().split('\n').filter((l) => /channel 'jobs' message/.test(l));
  assert.equal(errors.length, 1, serve.logs());
  assert.match(errors[0]!, /channel 'jobs' message jobs#3: WASMLET_ERR_GUEST_HANDLER_ERROR.*the handler returned an error: error/);
  // The handler's stdout and stderr reach the log, tagged with component and message id (log lines
  // are flushed every 10 ms, so the last one may follow the handler's publish).
  await waitFor(() => `the last handler output line\n${serve.logs()}`, () => /req=jobs#24 got m19\n/.test(serve.logs()) || undefined, 5_000);
  const logs = serve.logs();
  assert.match(logs, /\[worker stdout\] req=jobs#1 got one\n/);
  assert.match(logs, /\[worker stdout\] req=jobs#24 got m19\n/);
  assert.match(logs, /\[worker stderr\] req=jobs#3 rejecting fail\n/);
});
