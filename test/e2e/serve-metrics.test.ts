// `--admin-listen`'s /metrics over real servers: the app's listener takes traffic (200s, a 404, a
// trap, a timeout) and a Prometheus scrape of the admin listener shows the counters move.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import type { RunningHttpServer } from '../../src/triggers/http/server.ts';
import { startAdminServer } from '../../src/triggers/admin/admin-server.ts';
import type { RunningAdminServer } from '../../src/triggers/admin/admin-server.ts';
import { DashboardStats } from '../../src/triggers/admin/dashboard-stats.ts';
import { ServeMetrics } from '../../src/triggers/admin/metrics.ts';
import { buildServeApp } from '../fixtures/serve/serve-app.ts';

/** The value of the sample `name{labels}` in a text exposition (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let server: RunningHttpServer;
  let admin: RunningAdminServer;
  const metrics = new ServeMetrics();
  const scrape = async () => {
    const res = await fetch(`${admin.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  before(async () => {
    const app = await loadApp(await buildServeApp({ loopTimeout: '300ms' }));
    const dashboard = new DashboardStats(app);
    server = await startHttpServer({
      app, host: '127.0.0.1', port: 0, workers: 2, log: createServerLog('text', () => {}),
      poolObserver: metrics.poolObserver,
      onRequest: (r) => { metrics.requestFinished(r); dashboard.requestFinished(r); },
    });
    metrics.attach(server);
    admin = await startAdminServer({ port: 0, metrics, dashboard });
  });
  after(async () => {
    await admin.close();
    await server.close(2000);
  });

  test('requests, latency, instances, timeouts and traps are counted; gauges read the pools', async () => {
    const before = await scrape();
    const hello = { route: '/hello/...', component: 'hello', status: '200' };
    assert.equal(sample(before, 'wasmlet_http_requests_total', hello), undefined);
    assert.equal(sample(before, 'wasmlet_workers', { pool: 'wagi' }), 2);

    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${server.url}/hello/x${i}`)).status, 200);
    assert.equal((await fetch(`${server.url}/trap`)).status, 500);
    assert.equal((await fetch(`${server.url}/loop`)).status, 504);
    // Access records are written when the response closes: poll the scrape until they are in.
    let after = await scrape();
    for (let i = 0; i < 100 && sample(after, 'wasmlet_http_requests_total', { route: '/loop', component: 'loop', status: '504' }) !== 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = await scrape();
    }
    assert.equal(sample(after, 'wasmlet_http_requests_total', hello), 5);
    assert.equal(sample(after, 'wasmlet_http_requests_total', { route: '/trap', component: 'trap', status: '500' }), 1);
    assert.equal(sample(after, 'wasmlet_http_requests_total', { route: '/loop', component: 'loop', status: '504' }), 1);
    assert.equal(sample(after, 'wasmlet_http_request_duration_seconds_count', { route: '/hello/...', component: 'hello' }), 5);
    assert.equal(sample(after, 'wasmlet_http_request_duration_seconds_bucket', { route: '/hello/...', component: 'hello', le: '+Inf' }), 5);
    assert.ok(sample(after, 'wasmlet_http_request_duration_seconds_sum', { route: '/loop', component: 'loop' })! >= 0.3, 'the loop ran to its 300 ms deadline');
    assert.equal(sample(after, 'wasmlet_instances_created_total', { component: 'hello' }), 5);
    assert.equal(sample(after, 'wasmlet_traps_total', { component: 'trap' }), 1);
    assert.equal(sample(after, 'wasmlet_timeouts_total', { component: 'loop' }), 1);
    assert.equal(sample(after, 'wasmlet_queue_depth', { component: 'hello' }), 0);
    // Per live worker (the one the timeout killed may still be starting again).
    assert.ok(['0', '1'].some((worker) => sample(after, 'wasmlet_worker_external_memory_bytes', { pool: 'wagi', worker })! > 0));
    assert.ok(['0', '1'].some((worker) => sample(after, 'wasmlet_worker_heap_used_bytes', { pool: 'wagi', worker })! > 0));
    assert.ok(sample(after, 'process_resident_memory_bytes')! > 0);

    assert.equal((await fetch(`${server.url}/nope`)).status, 200, 'the hello-as catch-all answers /nope');
    const notFound = await fetch(`${admin.url}/nope`);
    assert.equal(notFound.status, 404);
  });

  test('/api/status carries the routes with their counts and percentiles', async () => {
    const status = await (await fetch(`${admin.url}/api/status`)).json() as { app: { name: string }; routes: { route: string; total: number; p50?: number }[] };
    assert.equal(status.app.name, 'serve-test');
    const hello = status.routes.find((r) => r.route === '/hello/...')!;
    assert.equal(hello.total, 5);
    assert.ok(hello.p50! > 0);
    assert.equal(status.routes.find((r) => r.route === '/bad')!.total, 0);
  });
});
