// examples/spin-js-sdk, the app written with Spin's JS SDK: the committed build served as the
// README says (`wasmlet serve examples/spin-js-sdk`, embedded SQLite stores), and a fresh build of
// its source (test/support/spin-sdk.ts) served with its runtime-config-redis.toml on a real
// redis-server. The same requests run against both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { repoRoot } from '../support/fixtures.ts';
import { buildSpinSdkComponent } from '../support/spin-sdk.ts';
import { startRedisServer, type RedisServer } from '../support/redis-server.ts';
import { startServe, stopServe, type ServeChild } from '../support/serve-child.ts';

const EXAMPLE = join(repoRoot, 'examples/spin-js-sdk');

/** The example's behaviour, against a running server; `greeting` is what /greeting should say. */
function exampleCases(server: () => ServeChild, greeting: string): void {
  const request = async (method: string, path: string, body?: string): Promise<[number, string]> => {
    const res = await fetch(`${server().url}${path}`, { method, body });
    return [res.status, await res.text()];
  };

  test('the counter (key-value): POST /counter adds one, GET /counter reads it', async () => {
    assert.deepEqual(await request('GET', '/counter'), [200, '0\n']);
    assert.deepEqual(await request('POST', '/counter'), [200, '1\n']);
    assert.deepEqual(await request('POST', '/counter'), [200, '2\n']);
    assert.deepEqual(await request('GET', '/counter'), [200, '2\n']);
  });

  test('the todo list (SQLite): add, mark done, delete, list', async () => {
    assert.deepEqual(await request('POST', '/todos', 'buy milk'), [201, '1\n']);
    assert.deepEqual(await request('POST', '/todos', 'walk the dog'), [201, '2\n']);
    assert.deepEqual(await request('POST', '/todos', ''), [400, 'send the title as the request body\n']);
    assert.deepEqual(await request('POST', '/todos/1/done'), [204, '']);
    assert.deepEqual(await request('DELETE', '/todos/2'), [204, '']);
    const [status, body] = await request('GET', '/todos');
    assert.equal(status, 200, body);
    assert.deepEqual(JSON.parse(body), [{ id: 1, title: 'buy milk', done: true }]);
  });

  test('the greeting (a variable): the component template over the app variable', async () => {
    assert.deepEqual(await request('GET', '/greeting'), [200, `${greeting}\n`]);
    assert.equal((await request('GET', '/nowhere'))[0], 404);
  });
}

describe('examples/spin-js-sdk as committed, on the embedded stores', () => {
  let state = '';
  let child: ServeChild;
  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'wasmlet-example-state-'));
    child = await startServe(['examples/spin-js-sdk', '--state-dir', state, '--workers', '1']);
  });
  after(async () => {
    if (child) await stopServe(child);
    rmSync(state, { recursive: true, force: true });
  });
  exampleCases(() => child, 'Hello, world!');
  test('the state lives in the state dir: sqlite_key_value.db and sqlite_db.db', () => {
    assert.ok(existsSync(join(state, 'sqlite_key_value.db')));
    assert.ok(existsSync(join(state, 'sqlite_db.db')));
  });
});

describe('examples/spin-js-sdk built from source, on Redis with runtime-config-redis.toml', () => {
  let redis: RedisServer;
  let dir = '';
  let child: ServeChild;
  before(async () => {
    redis = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'wasmlet-example-redis-'));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes('/.wasmlet') });
    copyFileSync(await buildSpinSdkComponent(join(EXAMPLE, 'src/index.js')), join(dir, 'target/spin-js-sdk.wasm'));
    // The committed file, pointed at this test's redis-server.
    const config = readFileSync(join(EXAMPLE, 'runtime-config-redis.toml'), 'utf8');
    assert.match(config, /url = "redis:\/\/127\.0\.0\.1:6379"/);
    writeFileSync(join(dir, 'runtime-config-redis.toml'), config.replace('redis://127.0.0.1:6379', redis.url()));
    child = await startServe([dir, '--runtime-config-file', join(dir, 'runtime-config-redis.toml'), '--workers', '1'],
      { SPIN_VARIABLE_WHO: 'Redis' });
  });
  after(async () => {
    if (child) await stopServe(child);
    await redis?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  exampleCases(() => child, 'Hello, Redis!');
  test('the counter is in Redis, under its own key; the key-value file was never created', async () => {
    const client = createClient({ url: redis.url() });
    try {
      await client.connect();
      assert.equal(await client.get('counter'), '2');
    } finally {
      client.destroy();
    }
    assert.equal(existsSync(join(dir, '.wasmlet/sqlite_key_value.db')), false);
    assert.ok(existsSync(join(dir, '.wasmlet/sqlite_db.db')));
  });
});
