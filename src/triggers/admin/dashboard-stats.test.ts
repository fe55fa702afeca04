import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LockedApp } from '../../app/locked-app.ts';
import type { AccessRecord } from '../http/access-log.ts';
import { DashboardStats, percentile } from './dashboard-stats.ts';

const app = {
  name: 'shop', version: '1.2.0',
  triggers: { http: [{ route: '/api/...', component: 'api', executor: { type: 'wagi' } }] },
} as unknown as LockedApp;

const record = (over: Partial<AccessRecord>): AccessRecord =>
  ({ requestId: 'r', method: 'GET', path: '/api/x', route: '/api/...', component: 'api', status: 200, durationMs: 1, ...over });

test('nearest-rank percentiles', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 50);
  assert.equal(percentile(sorted, 0.99), 99);
  assert.equal(percentile([7], 0.9), 7);
});

test('per-route counts, rates over complete seconds, percentiles, errors newest first, log lines', () => {
  let now = 1_000_000_000_000;
  const stats = new DashboardStats(app, { now: () => now, errors: 2, logLines: 2 });
  for (let s = 0; s < 5; s++) {
    for (let i = 1; i <= 10; i++) stats.requestFinished(record({ durationMs: i }));
    now += 1000;
  }
  stats.requestFinished(record({ requestId: 'e1', status: 500, error: 'WASMLET_ERR_TRAP: boom' }));
  stats.requestFinished(record({ requestId: 'e2', status: 504 }));
  stats.requestFinished(record({ requestId: 'e3', status: 404, route: undefined, component: undefined, path: '/nope', error: 'x' }));
  stats.logText('one\ntwo\nthr');
  stats.logText('ee\n');
  const snap = stats.snapshot();
  assert.deepEqual(snap.app, { name: 'shop', version: '1.2.0' });
  const api = snap.routes.find((r) => r.route === '/api/...')!;
  assert.equal(api.total, 52);
  assert.equal(api.errors, 2);
  assert.equal(api.rps, 10, '50 requests in the 5 complete seconds before now');
  assert.equal(api.p50, 5);
  assert.equal(api.executor, 'wagi');
  assert.equal(snap.routes.find((r) => r.route === '-')!.total, 1);
  assert.deepEqual(snap.errors.map((e) => e.requestId), ['e3', 'e2']);
  assert.deepEqual(snap.logs, ['two', 'three']);
  assert.deepEqual(snap.series.slice(-5), [10, 10, 10, 10, 10]);
});

test('setApp (a reload): a route kept with its component keeps its counts, a reassigned or new one starts at 0, a removed one goes', () => {
  const stats = new DashboardStats(app);
  stats.requestFinished(record({}));
  stats.requestFinished(record({}));
  const reloaded = {
    name: 'shop', version: '1.3.0',
    triggers: {
      http: [
        { route: '/api/...', component: 'api', executor: { type: 'wagi' } },
        { route: '/new', component: 'fresh', executor: { type: 'wasi-http' } },
      ],
    },
  } as unknown as LockedApp;
  stats.setApp(reloaded);
  let snap = stats.snapshot();
  assert.deepEqual(snap.app, { name: 'shop', version: '1.3.0' });
  assert.deepEqual(snap.routes.map((r) => [r.route, r.component, r.total]), [['/api/...', 'api', 2], ['/new', 'fresh', 0]]);
  // The same route given to another component: its figures are that component's from now on.
  stats.setApp({ ...reloaded, triggers: { http: [{ route: '/api/...', component: 'api-v2', executor: { type: 'wagi' } }] } } as unknown as LockedApp);
  snap = stats.snapshot();
  assert.deepEqual(snap.routes.map((r) => [r.route, r.component, r.total]), [['/api/...', 'api-v2', 0]]);
});

test('a request of another component on a route label (a service-chained /...) gets a row of its own', () => {
  const stats = new DashboardStats(app);
  stats.requestFinished(record({}));
  stats.requestFinished(record({ component: 'private-one' }));
  stats.requestFinished(record({ component: 'private-one' }));
  assert.deepEqual(stats.snapshot().routes.map((r) => [r.route, r.component, r.total]),
    [['/api/...', 'api', 1], ['/api/... (private-one)', 'private-one', 2]]);
});
