// Scale-out with wasmlet's `group` extension: two real `wasmlet serve` processes on one Redis,
// one `[[trigger.redis]]` with `group = "workers"` (a Redis Stream read through a consumer
// group). 200 entries, each handled by one replica; one replica is killed with SIGKILL midway, and
// the entries it had read but not acknowledged are claimed by the other after `claim_timeout` (5 s):
// none is lost, and only an entry whose handler had finished but was not yet acknowledged can run
// twice (at-least-once: at most one per killed replica, which runs one entry at a time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startRedisServer } from '../support/redis-server.ts';
import { buildSpinSdkComponent } from '../support/spin-sdk.ts';
import { repoRoot } from '../support/fixtures.ts';
import { appDir, redisClient, TEST_CACHE_DIR, waitFor } from '../support/redis-apps.ts';

const ENTRY = join(repoRoot, 'test/fixtures/serve/wasmlet-cli.ts');

interface Replica { proc: ChildProcess; out: () => string; exit: Promise<unknown> }

function startReplica(dir: string, name: string): Replica {
  const proc = spawn(process.execPath, [ENTRY, 'serve', dir, '--workers', '1'], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WASMLET_CACHE_DIR: TEST_CACHE_DIR, SPIN_VARIABLE_REPLICA: name },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return { proc, out: () => out, exit: new Promise((resolve) => proc.on('exit', resolve)) };
}

test('group: 200 stream entries over two serve replicas, each handled, none lost when one is killed -9', async (t) => {
  const [source, server] = await Promise.all([
    buildSpinSdkComponent(join(repoRoot, 'test/fixtures/components/redis-sdk-worker/worker.js'), 'spin-redis'), startRedisServer(),
  ]);
  t.after(() => server.dispose());
  const dir = appDir(t, `spin_manifest_version = 2
[application]
name = "replicas"
[variables]
replica = { required = true }
[[trigger.redis]]
address = "${server.url(0)}"
channel = "jobs"
group = "workers"
claim_timeout = "5s"
component = "worker"
[component.worker]
source = "${source}"
allowed_outbound_hosts = ["redis://127.0.0.1:${server.port}"]
[component.worker.variables]
redis_address = "${server.url(0)}"
replica = "{{ replica }}"
`);
  const replicas = [startReplica(dir, 'a'), startReplica(dir, 'b')];
  t.after(() => { for (const r of replicas) r.proc.kill('SIGKILL'); });
  for (const r of replicas) {
    await waitFor(() => `replica ready\n${r.out()}`, () => /reading stream 'jobs' as consumer .* of group 'workers'/.test(r.out()) || undefined, 60_000);
  }
  const redis = await redisClient(t, server.url(0));
  for (let i = 0; i < 200; i++) await redis.xAdd('jobs', '*', { payload: `mark 20 handled ${i}` });

  // Kill replica a once it has handled some entries (it is mid-stream then).
  await waitFor('replica a to handle 20 entries', async () => (await redis.lRange('handled', 0, -1)).filter((e) => e.endsWith('@a')).length >= 20 || undefined);
  replicas[0]!.proc.kill('SIGKILL');
  await replicas[0]!.exit;
  const afterKill = (await redis.lRange('handled', 0, -1)).filter((e) => e.endsWith('@a')).length;
  // What a had read and not acknowledged when it died (usually the entry it was handling; none
  // when the kill fell between two entries).
  const consumerA = /as consumer (\S+) of group 'workers'/.exec(replicas[0]!.out())![1]!;
  const summary = await redis.sendCommand(['XPENDING', 'jobs', 'workers']) as [number, unknown, unknown, [string, string][] | null];
  const pendingAtKill = Number((summary[3] ?? []).find(([name]) => String(name) === consumerA)?.[1] ?? 0);

  const handled = await waitFor('all 200 entries', async () => {
    const list = await redis.lRange('handled', 0, -1);
    return new Set(list.map((e) => e.split('@')[0])).size === 200 ? list : undefined;
  }, 60_000);
  const ids = handled.map((e) => Number(e.split('@')[0]));
  assert.deepEqual([...new Set(ids)].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i));
  const twice = handled.filter((e, i) => handled.findIndex((f) => f.split('@')[0] === e.split('@')[0]) !== i);
  assert.ok(twice.length <= 1, `more than one entry ran twice: ${twice.join(', ')}`);
  assert.ok(afterKill >= 20 && handled.filter((e) => e.endsWith('@b')).length >= 200 - afterKill - 1, 'b handled the rest');
  // b claimed what a had read and never acknowledged, after claim_timeout.
  if (pendingAtKill > 0) assert.match(replicas[1]!.out(), /claimed \d+ unacknowledged entr(y|ies) of stream 'jobs'/);
  const pending = await redis.sendCommand(['XPENDING', 'jobs', 'workers']) as [number, ...unknown[]];
  assert.equal(Number(pending[0]), 0, 'every entry acknowledged');
});
