// examples/redis-jobs as the README runs it: `wasmlet serve` on the example (its three components
// built as examples/build.sh builds them) against a real redis-server, then the README's curls:
// POST /jobs publishes, the Redis-triggered worker stores the result in key-value, GET /jobs/<id>
// reads it, and the cron job's tick count grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';
import { buildExampleTickComponent } from '../support/components.ts';
import { buildSpinSdkComponent } from '../support/spin-sdk.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { TEST_CACHE_DIR, waitFor } from '../support/redis-apps.ts';

test('examples/redis-jobs: HTTP publishes a job, the Redis worker stores its result, cron counts ticks', async (t) => {
  const example = join(repoRoot, 'examples/redis-jobs');
  const [api, worker, tick, server] = await Promise.all([
    buildSpinSdkComponent(join(example, 'api/api.js'), 'spin-http'),
    buildSpinSdkComponent(join(example, 'worker/worker.js'), 'spin-redis'),
    buildExampleTickComponent(), startRedisServer(),
  ]);
  t.after(() => server.dispose());
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-redis-jobs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(example, dir, { recursive: true });
  copyFileSync(api, join(dir, 'api/api.wasm'));
  copyFileSync(worker, join(dir, 'worker/worker.wasm'));
  copyFileSync(tick, join(dir, 'tick/tick.wasm'));
  const proc = spawn(process.execPath, [join(repoRoot, 'test/fixtures/serve/wasmlet-cli.ts'), 'serve', dir, '--listen', '127.0.0.1:0', '--workers', '1'], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WASMLET_CACHE_DIR: TEST_CACHE_DIR, SPIN_VARIABLE_REDIS_URL: server.url(0) },
  });
  t.after(() => { proc.kill('SIGKILL'); });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const url = await waitFor('the listening line', () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 120_000);
  await waitFor(() => `the subscription\n${out}`, () => /subscribed to 'jobs'/.test(out) || undefined);

  const posted = await fetch(`${url}/jobs`, { method: 'POST', body: 'hello redis world' });
  assert.equal(posted.status, 202);
  const { id } = await posted.json() as { id: string };
  const result = await waitFor('the job result', async () => {
    const res = await fetch(`${url}/jobs/${id}`);
    return res.status === 200 ? await res.json() : (await res.arrayBuffer(), undefined);
  });
  assert.deepEqual(result, { id, upper: 'HELLO REDIS WORLD', words: 3 });
  await waitFor('two cron ticks', async () => Number(await (await fetch(`${url}/ticks`)).text()) >= 2 || undefined);
});
