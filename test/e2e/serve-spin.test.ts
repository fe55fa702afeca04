// `wasmlet serve` as a child process with a Spin app whose componentize-js guest imports
// `fermyon:spin/{key-value,variables,sqlite,llm}@2.0.0` (test/fixtures/components/http-spin):
// a counter in the default key-value store that survives a restart (SQLite in the state dir),
// grants (access-denied / no-such-store), variables from the manifest and the environment, a
// secret that never reaches the logs, SQLite, and an interface wasmlet does not back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type ServeChild as Child } from '../support/serve-child.ts';
import { buildHttpSpinComponent } from '../support/components.ts';

const SECRET = 'tok-3f9a1c77e2d04b5b';

/** Starts `wasmlet serve DIR` (JSON logs) and waits for its `listening on` line. */
function serve(dir: string, env: Record<string, string>): Promise<Child> {
  return startServe([dir, '--workers', '2', '--log-format', 'json'], env);
}

async function stop(child: Child): Promise<void> {
  child.proc.kill('SIGINT');
  assert.equal(await child.exit, 0);
}

async function get(child: Child, path: string): Promise<[number, string]> {
  const res = await fetch(`${child.url}${path}`);
  return [res.status, await res.text()];
}

describe('wasmlet serve: a Spin app using fermyon:spin key-value, variables and sqlite', () => {
  let dir = '';
  let child: Child;
  const env = { SPIN_VARIABLE_API_TOKEN: SECRET };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasmlet-serve-spin-'));
    copyFileSync(await buildHttpSpinComponent(), join(dir, 'app.wasm'));
    writeFileSync(join(dir, 'spin.toml'), [
      'spin_manifest_version = 2',
      '[application]',
      'name = "spin-services"',
      '[variables]',
      'greeting_target = { default = "world" }',
      'api_token = { required = true, secret = true }',
      '[[trigger.http]]', 'route = "/..."', 'component = "web"',
      '[[trigger.http]]', 'route = "/guest/..."', 'component = "guest"',
      '[component.web]',
      'source = "app.wasm"',
      'key_value_stores = ["default"]',
      'sqlite_databases = ["default"]',
      'variables = { greeting = "hello {{ greeting_target }}", token = "{{ api_token }}" }',
      '[component.guest]',
      'source = "app.wasm"',
    ].join('\n'));
    child = await serve(dir, env);
  });
  after(async () => {
    if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('the counter increments across requests, in <state dir>/sqlite_key_value.db', async () => {
    assert.equal(existsSync(join(dir, '.wasmlet', 'sqlite_key_value.db')), false, 'created only on first use');
    assert.deepEqual(await get(child, '/counter'), [200, 'count 1']);
    assert.deepEqual(await get(child, '/counter'), [200, 'count 2']);
    const all = await Promise.all(Array.from({ length: 6 }, () => get(child, '/kv?key=k' + Math.random())));
    for (const [status, body] of all) assert.equal(status, 200, body);
    assert.deepEqual(await get(child, '/counter'), [200, 'count 3']);
    assert.ok(existsSync(join(dir, '.wasmlet', 'sqlite_key_value.db')));
  });

  test('store operations: set, exists, get-keys, get, delete', async () => {
    const [status, body] = await get(child, '/kv?key=fruit');
    assert.equal(status, 200, body);
    const r = JSON.parse(body) as { existed: boolean; keys: string[]; value: string; after: boolean; missing: null };
    assert.equal(r.existed, true);
    assert.ok(r.keys.includes('fruit') && r.keys.includes('count'), body);
    assert.equal(r.value, 'v');
    assert.equal(r.after, false);
    assert.equal(r.missing, null);
  });

  test('a label the component was not granted is access-denied; a label nobody declares no-such-store', async () => {
    assert.deepEqual(await get(child, '/guest/open?label=default'), [403, 'error access-denied']);
    assert.deepEqual(await get(child, '/guest/sql-open?label=default'), [403, 'error access-denied']);
    assert.deepEqual(await get(child, '/open?label=default'), [200, 'opened default']);
    assert.deepEqual(await get(child, '/open?label=nobody'), [403, 'error no-such-store']);
    assert.deepEqual(await get(child, '/sql-open?label=nobody'), [403, 'error no-such-database']);
  });

  test('variables: the resolved template, an undefined name, and a secret that stays out of the logs', async () => {
    assert.deepEqual(await get(child, '/var?name=greeting'), [200, 'hello world']);
    assert.deepEqual(await get(child, '/var?name=nope'), [404, 'error undefined no variable for "web"."nope"']);
    assert.deepEqual(await get(child, '/guest/var?name=greeting'), [404, 'error undefined no variable for "guest"."greeting"']);
    assert.deepEqual(await get(child, '/var?name=token'), [200, SECRET]);
    // The access line of that request is written when its response closes: wait for it.
    for (let waited = 0; !child.logs().includes('/var?name=token') && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.ok(child.logs().includes('/var?name=token'), child.logs());
    assert.ok(!child.logs().includes(SECRET), 'the secret reached the logs');
  });

  test('sqlite: a table in <state dir>/sqlite_db.db', async () => {
    assert.deepEqual(await get(child, '/sql'), [200, 'rows 1']);
    assert.deepEqual(await get(child, '/sql'), [200, 'rows 2']);
    assert.ok(existsSync(join(dir, '.wasmlet', 'sqlite_db.db')));
  });

  test('an interface wasmlet does not back links and answers its own error', async () => {
    assert.deepEqual(await get(child, '/llm'), [501, 'error runtime-error wasmlet does not provide fermyon:spin/llm@2.0.0']);
  });

  test('the counter and the table persist across a restart of the server', async () => {
    const before = await get(child, '/counter');
    assert.equal(before[0], 200);
    const n = Number(before[1].split(' ')[1]);
    await stop(child);
    child = await serve(dir, env);
    assert.deepEqual(await get(child, '/counter'), [200, `count ${n + 1}`]);
    assert.deepEqual(await get(child, '/sql'), [200, 'rows 3']);
    assert.ok(!child.logs().includes(SECRET));
    await stop(child);
  });
});
