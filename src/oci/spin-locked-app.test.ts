import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { planSpinApp } from './spin-locked-app.ts';

const D = `sha256:${'b'.repeat(64)}`;
const app = (over: Record<string, unknown> = {}, comp: Record<string, unknown> = {}) => JSON.stringify({
  spin_lock_version: 1,
  metadata: { name: 'demo' },
  triggers: [
    { id: 't1', trigger_type: 'http', trigger_config: { component: 'web', route: '/...' } },
    { id: 't2', trigger_type: 'http', trigger_config: { component: 'web', route: { private: true } } },
  ],
  components: [{ id: 'web', source: { content_type: 'application/wasm', digest: D }, ...comp }],
  ...over,
});

test('plans a manifest: routes (private ones kept private), env, hosts, limits, file mounts by top-level entry', () => {
  const plan = planSpinApp(app({}, {
    env: { A: '1' },
    metadata: { allowed_outbound_hosts: ['https://example.com'], key_value_stores: ['default'], wasmlet: { limits: { memory_bytes: 65536, timeout_ms: 1500 } } },
    files: [{ path: 'a/b.txt', digest: D }, { path: '/top.txt', inline: Buffer.from('hi').toString('base64') }],
  }), 'fallback');
  const m = JSON.parse(JSON.stringify(parse(plan.manifest))) as Record<string, any>; // plain objects for deepEqual
  assert.equal(m.application.name, 'demo');
  assert.deepEqual(m.trigger.http, [{ route: '/...', component: 'web' }, { route: { private: true }, component: 'web' }]);
  assert.deepEqual(m.component.web, {
    source: 'components/web.wasm', environment: { A: '1' },
    files: [{ source: 'files/web/a', destination: '/a' }, { source: 'files/web/top.txt', destination: '/top.txt' }],
    allowed_outbound_hosts: ['https://example.com'], key_value_stores: ['default'], limits: { memory: 65536, timeout: '1500ms' },
  });
  assert.deepEqual(plan.placements.map((p) => [p.target, p.digest, p.inline?.toString()]), [
    ['components/web.wasm', D, undefined], ['files/web/a/b.txt', D, undefined], ['files/web/top.txt', undefined, 'hi'],
  ]);
});

test('refuses what wasmlet cannot run, saying what', () => {
  const cases: [string, RegExp][] = [
    [app({ must_understand: ['host_requirements'] }), /must_understand: host_requirements/],
    [app({}, { files: [{ path: '../../etc/passwd', digest: D }] }), /not a path inside/],
    [app({}, { dependencies: { 'a:b/c': {} } }), /component dependencies/],
    [app({ triggers: [{ id: 'r', trigger_type: 'redis', trigger_config: { component: 'web' } }] }), /type redis/],
    [app({}, { source: { content_type: 'application/wasm' } }), /neither a digest nor inline/],
    ['not json', /not JSON/],
  ];
  for (const [json, re] of cases) {
    assert.throws(() => planSpinApp(json, 'x'), (e: Error & { code?: string }) => e.code === 'WASMLET_ERR_ARTIFACT' && re.test(e.message), String(re));
  }
});

test('variables and databases travel as Spin writes them: declarations and templates, never values', () => {
  const plan = planSpinApp(app({ variables: { api_key: { secret: true }, greeting: { default: 'hi', description: 'd' } } }, {
    config: { key: '{{ api_key }}', msg: '{{ greeting }}, world' },
    metadata: { databases: ['default'], allowed_outbound_hosts: ['https://{{ greeting }}.example'] },
  }), 'x');
  const m = JSON.parse(JSON.stringify(parse(plan.manifest))) as Record<string, any>;
  assert.deepEqual(m.variables, { api_key: { required: true, secret: true }, greeting: { default: 'hi', description: 'd' } });
  assert.deepEqual(m.component.web.variables, { key: '{{ api_key }}', msg: '{{ greeting }}, world' });
  assert.deepEqual(m.component.web.sqlite_databases, ['default']);
  assert.deepEqual(m.component.web.allowed_outbound_hosts, ['https://{{ greeting }}.example'], 'resolved by the loader of the pulled app');
});
