import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watToBytes } from '../../test/support/fixtures.ts';
import { defaultCacheDir } from '../util/cache-dir.ts';
import { loadApp, wasmBinaryKind } from './loader.ts';

const moduleBytes = await watToBytes('(module (func (export "_start")))');
// The smallest valid component: preamble with the component-model layer, no sections.
const componentBytes = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-loader-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const manifest = (extra = '') => [
  'spin_manifest_version = 2', '[application]', 'name = "app"',
  '[[trigger.http]]', 'route = "/m/..."', 'component = "mod"',
  '[[trigger.http]]', 'route = "/c/..."', 'component = "comp"', extra,
  '[component.mod]', 'source = "mod.wasm"',
  '[component.comp]', 'source = "comp.wasm"',
].join('\n');

test('a directory: wasmlet.toml is preferred over spin.toml; auto executors are resolved', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'mod.wasm'), moduleBytes);
  writeFileSync(join(dir, 'comp.wasm'), componentBytes);
  writeFileSync(join(dir, 'wasmlet.toml'), manifest());
  writeFileSync(join(dir, 'spin.toml'), 'this is not read');
  const app = await loadApp(dir);
  assert.deepEqual(app.triggers.http.map((r) => [r.route, r.executor]), [
    ['/m/...', { type: 'wagi', argv: '${SCRIPT_NAME} ${ARGS}', entrypoint: '_start' }],
    ['/c/...', { type: 'wasi-http' }],
  ]);
  // Kind and digest resolved once here: the runtime never re-detects them.
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  assert.deepEqual(app.components['mod']!.binary, { kind: 'module', sha256: sha256(moduleBytes) });
  assert.deepEqual(app.components['comp']!.binary, { kind: 'component', sha256: sha256(componentBytes) });
  assert.equal(app.cacheDir, defaultCacheDir(dir));
  rmSync(join(dir, 'wasmlet.toml'));
  await assert.rejects(loadApp(dir), /invalid TOML/); // now spin.toml is the manifest
  writeFileSync(join(dir, 'spin.toml'), manifest());
  assert.equal((await loadApp(join(dir, 'spin.toml'))).name, 'app'); // a manifest path works too
});

test('a bare .wasm is one component `main` on /...', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'hello.wasm'), moduleBytes);
  const app = await loadApp(join(dir, 'hello.wasm'));
  assert.deepEqual(app, {
    name: 'hello', dir,
    components: {
      main: {
        id: 'main', source: join(dir, 'hello.wasm'), files: [], environment: {}, allowedOutboundHosts: [], keyValueStores: [],
        sqliteDatabases: [], variables: {}, secretVariables: [], limits: {},
        binary: { kind: 'module', sha256: createHash('sha256').update(moduleBytes).digest('hex') },
      },
    },
    triggers: { http: [{ route: '/...', component: 'main', executor: { type: 'wagi', argv: '${SCRIPT_NAME} ${ARGS}', entrypoint: '_start' } }] },
    variables: {},
    backends: {
      keyValueStores: { default: { type: 'sqlite', path: join(dir, '.wasmlet', 'sqlite_key_value.db') } },
      sqliteDatabases: { default: { type: 'sqlite', path: join(dir, '.wasmlet', 'sqlite_db.db') } },
    },
    stateDir: join(dir, '.wasmlet'),
    cacheDir: defaultCacheDir(dir),
  });
});

test('wrong inputs get clear errors', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(loadApp(dir), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WASMLET_ERR_MANIFEST');
    assert.equal(err.message, `no wasmlet.toml or spin.toml in ${dir} — create one, or pass a manifest or .wasm path`);
    return true;
  });
  await assert.rejects(loadApp(join(dir, 'nope')), /does not exist/);
  writeFileSync(join(dir, 'fake.wasm'), 'not wasm at all');
  await assert.rejects(loadApp(join(dir, 'fake.wasm')), /is not a WebAssembly module or component/);
});

test('an explicit executor must fit the binary', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'mod.wasm'), moduleBytes);
  writeFileSync(join(dir, 'comp.wasm'), componentBytes);
  writeFileSync(join(dir, 'wasmlet.toml'), manifest('executor = { type = "wagi" }'));
  await assert.rejects(loadApp(dir), (err: Error) => {
    assert.equal(err.message, `${join(dir, 'wasmlet.toml')}:10: route \`/c/...\`: executor "wagi" needs a core module, but component \`comp\``
      + ' is a component — remove the executor or set type = "wasi-http"');
    return true;
  });
  writeFileSync(join(dir, 'wasmlet.toml'), manifest());
  writeFileSync(join(dir, 'comp.wasm'), 'garbage!');
  await assert.rejects(loadApp(dir), new RegExp(`wasmlet\\.toml:14: source .*comp\\.wasm of component \`comp\` is not a WebAssembly`));
});

test('wasmBinaryKind reads the preamble', () => {
  assert.equal(wasmBinaryKind(moduleBytes.subarray(0, 8)), 'module');
  assert.equal(wasmBinaryKind(componentBytes), 'component');
  assert.equal(wasmBinaryKind(new Uint8Array(4)), 'not-wasm');
  assert.equal(wasmBinaryKind(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0)), 'not-wasm');
});

const servicesManifest = [
  'spin_manifest_version = 2', // 1
  '[application]', // 2
  'name = "svc"', // 3
  '[variables]', // 4
  'greeting = { default = "hello" }', // 5
  'api_key = { required = true, secret = true }', // 6
  '[[trigger.http]]', // 7
  'route = "/..."', // 8
  'component = "mod"', // 9
  '[component.mod]', // 10
  'source = "mod.wasm"', // 11
  'key_value_stores = ["default", "cache"]', // 12
  'sqlite_databases = ["default", "analytics"]', // 13
  'variables = { message = "{{ greeting }}, world", key = "k={{ api_key }}" }', // 14
].join('\n');

test('host services: labels without a backend and missing required variables are reported together, with lines', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'mod.wasm'), moduleBytes);
  writeFileSync(join(dir, 'spin.toml'), servicesManifest);
  await assert.rejects(loadApp(dir, { env: {} }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WASMLET_ERR_MANIFEST');
    const path = join(dir, 'spin.toml');
    assert.deepEqual(err.message.split('\n'), [
      `${path}:6: required variable \`api_key\` has no value — set SPIN_VARIABLE_API_KEY (or WASMLET_VARIABLE_API_KEY) in the environment or the app's .env, or give it a variables_provider in the runtime config`,
      `${path}:12: unknown key_value_stores label \`cache\` for component \`mod\` — use "default", or define [key_value_store.cache] in the runtime config (--runtime-config-file)`,
      `${path}:13: unknown sqlite_databases label \`analytics\` for component \`mod\` — use "default", or define [sqlite_database.analytics] in the runtime config (--runtime-config-file)`,
    ]);
    return true;
  });
});

test('host services: runtime config backends, state dir, resolved variables', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'mod.wasm'), moduleBytes);
  writeFileSync(join(dir, 'spin.toml'), servicesManifest);
  writeFileSync(join(dir, 'rc.toml'), [
    '[key_value_store.cache]', 'type = "redis"', 'url = "redis://127.0.0.1:6379"',
    '[sqlite_database.analytics]', 'type = "spin"', 'path = "analytics.db"',
  ].join('\n'));
  writeFileSync(join(dir, '.env'), 'SPIN_VARIABLE_API_KEY=from-dotenv\n');
  const app = await loadApp(dir, { runtimeConfigFile: join(dir, 'rc.toml'), env: { SPIN_VARIABLE_GREETING: 'hi' } });
  assert.equal(app.stateDir, join(dir, '.wasmlet'));
  assert.deepEqual(app.backends, {
    keyValueStores: {
      default: { type: 'sqlite', path: join(dir, '.wasmlet', 'sqlite_key_value.db') },
      cache: { type: 'redis', url: 'redis://127.0.0.1:6379' },
    },
    sqliteDatabases: {
      default: { type: 'sqlite', path: join(dir, '.wasmlet', 'sqlite_db.db') },
      analytics: { type: 'sqlite', path: join(dir, 'analytics.db') },
    },
  });
  const c = app.components.mod!;
  assert.deepEqual(c.variables, { message: 'hi, world', key: 'k=from-dotenv' });
  assert.deepEqual(c.secretVariables, ['key']);
  assert.deepEqual(app.variables, { greeting: { required: false, secret: false }, api_key: { required: true, secret: true } });
  assert.deepEqual(structuredClone(app), app, 'plain structured-clone data');
  assert.equal(existsSync(join(dir, '.wasmlet')), false, 'loading creates no state');

  const other = await loadApp(dir, { runtimeConfigFile: join(dir, 'rc.toml'), stateDir: join(dir, 'state'), env: { WASMLET_VARIABLE_API_KEY: 'w' } });
  assert.equal(other.backends.keyValueStores.default?.type === 'sqlite' && other.backends.keyValueStores.default.path, join(dir, 'state', 'sqlite_key_value.db'));
  assert.deepEqual(other.components.mod!.variables, { message: 'hello, world', key: 'k=w' }, 'the environment is asked before .env');
  // defaultStateDir (serve --from-registry) replaces only the app-dir default.
  const registry = await loadApp(dir, { runtimeConfigFile: join(dir, 'rc.toml'), defaultStateDir: join(dir, 'cwd-state'), env: { WASMLET_VARIABLE_API_KEY: 'w' } });
  assert.equal(registry.stateDir, join(dir, 'cwd-state'));
  const explicit = await loadApp(dir, { runtimeConfigFile: join(dir, 'rc.toml'), defaultStateDir: join(dir, 'cwd-state'), stateDir: join(dir, 'state'), env: { WASMLET_VARIABLE_API_KEY: 'w' } });
  assert.equal(explicit.stateDir, join(dir, 'state'));
});

test('host services: a missing or invalid runtime config file is an error naming it', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'mod.wasm'), moduleBytes);
  writeFileSync(join(dir, 'spin.toml'), servicesManifest);
  await assert.rejects(loadApp(dir, { runtimeConfigFile: join(dir, 'nope.toml'), env: {} }),
    new RegExp(`runtime config file ${join(dir, 'nope\\.toml')} cannot be read \\(ENOENT\\)`));
  writeFileSync(join(dir, 'rc.toml'), '[key_value_store.cache]\ntype = "spin"\nurl = "x"\n');
  await assert.rejects(loadApp(dir, { runtimeConfigFile: join(dir, 'rc.toml'), env: {} }),
    new RegExp(`rc\\.toml:3: unknown key \`url\` in table \`key_value_store\\.cache\``));
});

const hostsManifest = (hosts: string) => [
  'spin_manifest_version = 2', // 1
  '[application]', // 2
  'name = "hosts"', // 3
  '[variables]', // 4
  'api_host = { default = "api.example.com" }', // 5
  'redis_host = { required = true }', // 6
  'redis_port = { default = "6380" }', // 7
  'token = { default = "not a host", secret = true }', // 8
  '[[trigger.http]]', // 9
  'route = "/..."', // 10
  'component = "mod"', // 11
  '[component.mod]', // 12
  'source = "mod.wasm"', // 13
  `allowed_outbound_hosts = ${hosts}`, // 14
].join('\n');

/** Loads `hostsManifest(hosts)` with `env`; resolves with the app or the error's message lines. */
async function loadHosts(t: { after: (fn: () => void) => void }, hosts: string, env: Record<string, string>) {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'mod.wasm'), moduleBytes);
  writeFileSync(join(dir, 'spin.toml'), hostsManifest(hosts));
  const path = join(dir, 'spin.toml');
  try {
    return { app: await loadApp(dir, { env }), path };
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'WASMLET_ERR_MANIFEST');
    return { lines: (err as Error).message.split('\n'), path };
  }
}

test('allowed_outbound_hosts templates: resolved from defaults and SPIN_VARIABLE_*, in place, parsed as literal entries', async (t) => {
  const { app } = await loadHosts(t, '["https://{{ api_host }}", "http://literal.example", "redis://{{ redis_host }}:{{ redis_port }}"]',
    { SPIN_VARIABLE_REDIS_HOST: 'Cache.Internal' });
  assert.deepEqual(app!.components.mod!.allowedOutboundHosts, [
    { scheme: 'https', host: { type: 'name', name: 'api.example.com' }, port: { min: 443, max: 443 }, source: 'https://{{ api_host }}' },
    { scheme: 'http', host: { type: 'name', name: 'literal.example' }, port: { min: 80, max: 80 }, source: 'http://literal.example' },
    { scheme: 'redis', host: { type: 'name', name: 'cache.internal' }, port: { min: 6380, max: 6380 }, source: 'redis://{{ redis_host }}:{{ redis_port }}' },
  ]);
  const overridden = await loadHosts(t, '["https://{{ api_host }}"]', { SPIN_VARIABLE_REDIS_HOST: 'r', SPIN_VARIABLE_API_HOST: 'other.example' });
  assert.deepEqual(overridden.app!.components.mod!.allowedOutboundHosts[0]!.host, { type: 'name', name: 'other.example' });
});

test('allowed_outbound_hosts templates: an undeclared variable is a manifest error naming component, entry and variable', async (t) => {
  const { lines, path } = await loadHosts(t, '["https://{{ api_hots }}", "https://{{ api_host"]', { SPIN_VARIABLE_REDIS_HOST: 'r' });
  assert.deepEqual(lines, [
    `${path}:14: allowed_outbound_hosts entry \`https://{{ api_hots }}\` of component \`mod\`: unknown variable \`api_hots\` in template — declare it in [variables] (e.g. api_hots = { default = "..." }) or fix the name`,
    `${path}:14: allowed_outbound_hosts entry \`https://{{ api_host\` of component \`mod\`: invalid template: unmatched '{{' in template — close it with '}}'`,
  ]);
});

test('allowed_outbound_hosts templates: a required variable without a value is reported at the entry that uses it', async (t) => {
  const { lines, path } = await loadHosts(t, '["redis://{{ redis_host }}:{{ redis_port }}"]', {});
  assert.deepEqual(lines, [
    `${path}:14: allowed_outbound_hosts entry \`redis://{{ redis_host }}:{{ redis_port }}\` of component \`mod\`: required variable \`redis_host\` has no value — set SPIN_VARIABLE_REDIS_HOST (or WASMLET_VARIABLE_REDIS_HOST) in the environment or the app's .env, or give it a variables_provider in the runtime config`,
  ]);
  // Not used by an entry: reported at [variables], as before.
  const unused = await loadHosts(t, '["https://{{ api_host }}"]', {});
  assert.deepEqual(unused.lines, [`${unused.path}:6: required variable \`redis_host\` has no value — set SPIN_VARIABLE_REDIS_HOST (or WASMLET_VARIABLE_REDIS_HOST) in the environment or the app's .env, or give it a variables_provider in the runtime config`]);
});

test('allowed_outbound_hosts templates: a value that makes an invalid entry is refused by the parser; secret values are not shown', async (t) => {
  const { lines, path } = await loadHosts(t, '["https://{{ api_host }}", "{{ api_host }}", "https://x:{{ redis_port }}"]',
    { SPIN_VARIABLE_REDIS_HOST: 'r', SPIN_VARIABLE_API_HOST: 'api.example.com/v1', SPIN_VARIABLE_REDIS_PORT: '1-9' });
  assert.deepEqual(lines, [
    `${path}:14: allowed_outbound_hosts entry \`https://{{ api_host }}\` of component \`mod\` resolves to \`https://api.example.com/v1\`, which is invalid: it has a path; only scheme://host[:port] is allowed — fix the value of \`api_host\``,
    `${path}:14: allowed_outbound_hosts entry \`{{ api_host }}\` of component \`mod\` resolves to \`api.example.com/v1\`, which is invalid: \`api.example.com/v1\` does not contain a scheme (e.g. 'http://' or '*://') — write it as scheme://host[:port], e.g. https://api.example.com/v1 — fix the value of \`api_host\``,
    `${path}:14: allowed_outbound_hosts entry \`https://x:{{ redis_port }}\` of component \`mod\` resolves to \`https://x:1-9\`, which is invalid: port \`1-9\` is not a number — write a range as 1..10 (the end is excluded) — fix the value of \`redis_port\``,
  ]);
  const secret = await loadHosts(t, '["https://{{ token }}"]', { SPIN_VARIABLE_REDIS_HOST: 'r' });
  assert.deepEqual(secret.lines, [`${secret.path}:14: allowed_outbound_hosts entry \`https://{{ token }}\` of component \`mod\` resolves to an invalid entry (not shown: it uses secret variable \`token\`) — check its value`]);
  assert.ok(!secret.lines!.join('\n').includes('not a host'));
});
