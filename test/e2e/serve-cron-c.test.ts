// The cron trigger end to end with a C guest: `wasmlet serve` (a child process) running a
// per-second `[[trigger.cron]]` on test/fixtures/components/c-spin-events/cron-tick.c (a reactor
// component whose world-level `handle-cron-event` export and `fermyon:spin/redis@2.0.0` imports are
// written by hand in C; it publishes each tick's timestamp on `handled` and returns `err` on odd
// ones). Each run gets its tick's time; an `err` is logged and the schedule goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCCronTickComponent } from '../support/components.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { startServe, stopServe } from '../support/serve-child.ts';
import { appDir, redisClient, TEST_CACHE_DIR, waitFor } from '../support/redis-apps.ts';

test('cron trigger with a C component: a run per second with its tick time, an err logged and survived', async (t) => {
  const [source, server] = await Promise.all([buildCCronTickComponent(), startRedisServer()]);
  t.after(() => server.dispose());
  const outcomes: string[] = [];
  const subscriber = await redisClient(t, server.url(0));
  await subscriber.subscribe('handled', (message) => { outcomes.push(message); });
  const dir = appDir(t, `spin_manifest_version = 2
[application]
name = "c-cron"
[[trigger.cron]]
component = "tick"
cron_expression = "* * * * * *"
[component.tick]
source = "${source}"
environment = { REDIS_ADDRESS = "${server.url(0)}" }
allowed_outbound_hosts = ["redis://127.0.0.1:${server.port}"]
`);
  const serve = await startServe([dir, '--workers', '1'], { WASMLET_CACHE_DIR: TEST_CACHE_DIR }, /cron trigger 'cron-trigger1': component 'tick' on/);
  t.after(() => stopServe(serve));

  // Three consecutive ticks: one second apart, at least one odd (err) and one even (ok).
  await waitFor(() => `three ticks\n${serve.logs()}`, () => outcomes.length >= 3 || undefined, 10_000);
  const ticks = outcomes.slice(0, 3).map((o) => {
    const [verb, time] = o.split(' ');
    const timestamp = Number(time);
    assert.equal(verb, timestamp % 2 === 1 ? 'rejected' : 'handled', o);
    return timestamp;
  });
  assert.deepEqual(ticks, [ticks[0]!, ticks[0]! + 1, ticks[0]! + 2], `consecutive seconds: ${outcomes.join(', ')}`);
  assert.ok(Math.abs(ticks[0]! - Date.now() / 1000) < 10, `a tick's time is now, in seconds: ${ticks[0]}`);
  // Each odd tick's `err(other("odd tick"))` is logged; the schedule went on after it.
  const odd = ticks.filter((s) => s % 2 === 1).length;
  assert.ok(odd >= 1);
  const failed = () => serve.logs().split('\n').filter((l) => /cron trigger 'cron-trigger1': component 'tick' failed/.test(l));
  const errors = await waitFor(() => `${odd} failed runs logged\n${serve.logs()}`, () => failed().length >= odd ? failed() : undefined, 5_000);
  assert.match(errors[0]!, /WASMLET_ERR_GUEST_HANDLER_ERROR.*the handler returned an error: other: odd tick/);
});
