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
