// The cron trigger with a real component (test/fixtures/components/cron-tick: the cron plugin's
// `handle-cron-event`) on a per-second schedule: each run records its tick's timestamp in Redis
// and stays busy 1.5 s, so every other tick comes while a run is going: it is skipped and logged,
// never stacked. Under 5 s once the component is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEventTriggers } from '../../src/triggers/event-triggers.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { buildCronTickComponent } from '../support/components.ts';
import { loadTestApp, redisClient, waitFor } from '../support/redis-apps.ts';

test('cron trigger: runs on its schedule with the tick time; a tick during a run is skipped and logged', async (t) => {
  const [source, server] = await Promise.all([buildCronTickComponent(), startRedisServer()]);
  t.after(() => server.dispose());
  const app = await loadTestApp(t, `spin_manifest_version = 2
[application]
name = "cron-app"
[[trigger.cron]]
component = "tick"
cron_expression = "* * * * * *"
[component.tick]
source = "${source}"
allowed_outbound_hosts = ["redis://127.0.0.1:${server.port}"]
[component.tick.variables]
redis_address = "${server.url(0)}"
list = "ticks"
busy_ms = "1500"
`);
  assert.deepEqual(app.triggers.cron, [{ id: 'cron-trigger1', component: 'tick', cronExpression: '* * * * * *' }]);
  const lines: string[] = [];
  const events = await startEventTriggers(app, { workers: 1, defaultTimeoutMs: 10_000, log: { event: (level, message) => { lines.push(`${level} ${message}`); } } });
  const started = Date.now();
  assert.ok(events);
  t.after(() => events.close());
  const redis = await redisClient(t, server.url(0));
  const ticks = await waitFor('two runs', async () => {
    const list = (await redis.lRange('ticks', 0, -1)).map(Number);
    return list.length >= 2 ? list : undefined;
  }, 10_000);
  // Timestamps are the ticks' seconds; the run after a 1.5 s run is two ticks later, not one.
  assert.ok(Math.abs(ticks[0]! - started / 1000) < 5, `${ticks[0]} vs ${started / 1000}`);
  for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i]! - ticks[i - 1]! >= 2, `runs stacked: ${ticks.join(', ')}`);
  assert.ok(lines.some((l) => /^error cron trigger 'cron-trigger1': tick at .* skipped, the previous run of component 'tick' is still going/.test(l)), lines.join('\n'));
});
