import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ManifestError } from './manifest/manifest-error.ts';
import { parseRuntimeConfig } from './runtime-config.ts';

const file = '/srv/app/runtime-config.toml';

function errorsOf(source: string): string[] {
  try {
    parseRuntimeConfig(source, file);
  } catch (err) {
    assert.ok(err instanceof ManifestError, String(err));
    assert.equal(err.code, 'WASMLET_ERR_MANIFEST');
    return err.message.split('\n');
  }
  assert.fail('expected a ManifestError');
}

test('a Spin runtime config parses into plain data; relative paths resolve against its directory', () => {
  const config = parseRuntimeConfig([
    'state_dir = "state"',
    '[key_value_store.default]',
    'type = "redis"',
    'url = "redis://localhost:6379/2"',
    '[key_value_store.user-data]',
    'type = "spin"',
    'path = "data/users.db"',
    '[key_value_store.cache]',
    'type = "spin"',
    '[sqlite_database.default]',
    'type = "spin"',
    'path = "/var/lib/app/db.sqlite"',
    'allow_attach_file = true',
    '[sqlite_database.scratch]',
    'type = "spin"',
    '[[variables_provider]]',
    'type = "env"',
    'prefix = "MYAPP"',
    'dotenv_path = "secrets.env"',
    '[[variables_provider]]',
    'type = "static"',
    'values = { api_host = "h" }',
    '[[config_provider]]',
    'type = "env"',
  ].join('\n'), file);
  assert.deepEqual(JSON.parse(JSON.stringify(config)), config, 'plain JSON data');
  assert.deepEqual(config, {
    path: file,
    stateDir: '/srv/app/state',
    keyValueStores: {
      default: { type: 'redis', url: 'redis://localhost:6379/2' },
      'user-data': { type: 'sqlite', path: join('/srv/app', 'data/users.db') },
      cache: { type: 'sqlite', path: ':memory:' },
    },
    sqliteDatabases: {
      default: { type: 'sqlite', path: '/var/lib/app/db.sqlite', allowAttachFile: true },
      scratch: { type: 'sqlite', path: ':memory:' },
    },
    variablesProviders: [
      { type: 'env', prefix: 'MYAPP', dotenvPath: '/srv/app/secrets.env' },
      { type: 'static', values: { api_host: 'h' } },
      { type: 'env' },
    ],
  });
  assert.deepEqual(parseRuntimeConfig('', file), { path: file, keyValueStores: {}, sqliteDatabases: {}, variablesProviders: [] });
});

test('unknown keys, bad types and unsupported Spin features are errors with their lines, all at once', () => {
  const lines = errorsOf([
    'log_dir = "logs"', // 1
    'stat_dir = "x"', // 2
    '[key_value_store.default]', // 3
    'type = "spin"', // 4
    'pth = "x.db"', // 5
    '[key_value_store.remote]', // 6
    'type = "redis"', // 7
    '[key_value_store.cosmos]', // 8
    'type = "azure_cosmos"', // 9
    '[key_value_store.badurl]', // 10
    'type = "redis"', // 11
    'url = "http://localhost"', // 12
    '[key_value_store.Bad_Label]', // 13
    'type = "spin"', // 14
    '[sqlite_database.default]', // 15
    'type = "libsql"', // 16
    '[sqlite_database.other]', // 17
    'path = "x.db"', // 18
    '[[variables_provider]]', // 19
    'type = "vault"', // 20
    '[[variables_provider]]', // 21
    'type = "env"', // 22
    'prefix = 3', // 23
    '[llm_compute]', // 24
    'type = "spin"', // 25
  ].join('\n'));
  const at = (n: number, re: RegExp) => assert.ok(lines.some((l) => l.startsWith(`${file}:${n}: `) && re.test(l)), `no error at ${n} matching ${re}:\n${lines.join('\n')}`);
  at(1, /`log_dir` wasmlet writes no log files/);
  at(2, /unknown key `stat_dir` in the top level/);
  at(5, /unknown key `pth` in table `key_value_store\.default`/);
  at(6, /missing `url` in `key_value_store\.remote`/);
  at(9, /key-value store type `azure_cosmos` is not supported — use "spin" \(SQLite file\) or "redis"/);
  at(12, /must be a redis:\/\/ or rediss:\/\/ URL/);
  at(13, /label `Bad_Label` must be kebab-case or snake_case/);
  at(16, /SQLite database type `libsql` is not supported/);
  at(17, /missing `type` in `sqlite_database\.other`/);
  at(20, /variables provider type `vault` is not supported/);
  at(23, /`variables_provider\[1\]\.prefix` must be a string/);
  at(24, /`llm_compute` wasmlet has no AI models/);
  assert.equal(lines.length, 12, lines.join('\n'));
});

test('TOML syntax errors name the runtime config file and line', () => {
  const [line, ...rest] = errorsOf('[key_value_store.default]\ntype = "spin\n');
  assert.equal(rest.length, 0);
  assert.match(line!, /^\/srv\/app\/runtime-config\.toml:2: invalid TOML/);
});
