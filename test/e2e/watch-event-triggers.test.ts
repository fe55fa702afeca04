// `wasmlet watch` runs the app's cron (and Redis) triggers, not only its HTTP routes, and restarts
// them with each reloaded app as `spin watch` restarts `spin up`: a per-second cron trigger on
// the C component test/fixtures/components/c-spin-events/cron-tick.c (it publishes each tick's
// timestamp on `handled` at the Redis its REDIS_ADDRESS names) first reports to one Redis; an
// edit of the manifest moves it to a second one. After the reload every tick goes to the second
// server and none to the first any more, and no tick is handled twice (the old schedule stopped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCCronTickComponent } from '../support/components.ts';
import { startCliServer } from '../support/cli.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { appDir, redisClient, TEST_CACHE_DIR, waitFor } from '../support/redis-apps.ts';

test('watch: cron triggers run, and a manifest edit restarts them with the new app (no tick twice, none to the old target)', async (t) => {
  const [source, first, second] = await Promise.all([buildCCronTickComponent(), startRedisServer(), startRedisServer()]);
  t.after(() => { first.dispose(); second.dispose(); });
  const heard: { server: 'first' | 'second'; timestamp: number }[] = [];
  for (const [name, server] of [['first', first], ['second', second]] as const) {
    const subscriber = await redisClient(t, server.url(0));
    await subscriber.subscribe('handled', (message) => { heard.push({ server: name, timestamp: Number(message.split(' ')[1]) }); });
  }
  const manifest = (target: string) => `spin_manifest_version = 2
[application]
name = "watched-cron"
[[trigger.cron]]
component = "tick"
cron_expression = "* * * * * *"
[component.tick]
source = "${source}"
environment = { REDIS_ADDRESS = "${target}" }
allowed_outbound_hosts = ["redis://127.0.0.1:${first.port}", "redis://127.0.0.1:${second.port}"]
`;
  const dir = appDir(t, manifest(first.url(0)));
  process.env.WASMLET_CACHE_DIR = TEST_CACHE_DIR;
  const child = await startCliServer(['watch', dir, '--skip-build', '--listen', '127.0.0.1:0', '--debounce', '50', '--workers', '1']);
  delete process.env.WASMLET_CACHE_DIR;
  t.after(async () => { child.proc.kill('SIGINT'); await child.exit; });
  const logs = () => `${child.stdout()}\n${child.stderr()}`;

  await waitFor(() => `two ticks on the first server\n${logs()}`, () => heard.filter((h) => h.server === 'first').length >= 2 || undefined);
  assert.match(child.stdout(), /serving 0 redis and 1 cron trigger\(s\)/);

  writeFileSync(join(dir, 'spin.toml'), readFileSync(join(dir, 'spin.toml'), 'utf8').replace(first.url(0), second.url(0)));
  await waitFor(() => `the reload\n${logs()}`, () => / reloaded app=watched-cron/.test(child.stdout()) || undefined);
  const secondTicks = await waitFor(() => `two ticks on the second server\n${logs()}`, () => {
    const ticks = heard.filter((h) => h.server === 'second');
    return ticks.length >= 2 ? ticks : undefined;
  });
  const started = (child.stdout().match(/serving 0 redis and 1 cron trigger\(s\)/g) ?? []).length;
  assert.equal(started, 2, `the triggers start once per app\n${child.stdout()}`);

  // Every tick the old schedule handled came before every tick of the new one, and none twice.
  const lastOnFirst = Math.max(...heard.filter((h) => h.server === 'first').map((h) => h.timestamp));
  assert.ok(secondTicks.every((h) => h.timestamp > lastOnFirst), `old schedule still ticking: ${JSON.stringify(heard)}`);
  const timestamps = heard.map((h) => h.timestamp);
  assert.equal(new Set(timestamps).size, timestamps.length, `a tick handled twice: ${JSON.stringify(heard)}`);
});
