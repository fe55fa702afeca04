// `wasmlet serve` running an app built at test time with Spin's real JS SDK (@fermyon/spin-sdk,
// test/support/spin-sdk.ts; guest test/fixtures/spin-sdk/sdk-app.js): the SDK's Router, which
// routes on the `spin-full-url` header, the other spin-* headers, Kv, Sqlite and Variables.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPIN_SDK_IMPORTS, buildSpinSdkComponent } from '../support/spin-sdk.ts';
import { startServe, stopServe, type ServeChild } from '../support/serve-child.ts';

describe('wasmlet serve: an app built with the Spin JS SDK', () => {
  let dir = '';
  let wasm = '';
  let child: ServeChild;
  const request = async (path: string, init?: RequestInit): Promise<[number, string]> => {
    const res = await fetch(`${child.url}${path}`, init);
    return [res.status, await res.text()];
  };

  before(async () => {
    wasm = await buildSpinSdkComponent('test/fixtures/spin-sdk/sdk-app.js');
    dir = mkdtempSync(join(tmpdir(), 'wasmlet-spin-sdk-'));
    copyFileSync(wasm, join(dir, 'app.wasm'));
    writeFileSync(join(dir, 'spin.toml'), [
      'spin_manifest_version = 2',
      '[application]', 'name = "sdk-app"',
      '[variables]', 'who = { default = "world" }',
      '[[trigger.http]]', 'route = "/api/..."', 'component = "app"',
      '[[trigger.http]]', 'route = "/users/:user_id/..."', 'component = "headers"',
      '[component.app]', 'source = "app.wasm"',
      'key_value_stores = ["default"]', 'sqlite_databases = ["default"]',
      'variables = { greeting = "hello {{ who }}" }',
      '[component.headers]', 'source = "app.wasm"',
    ].join('\n'));
    child = await startServe([dir, '--workers', '1']);
  });
  after(async () => {
    if (child) await stopServe(child);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the component imports all nine fermyon:spin@2.0.0 interfaces of the SDK world, and links', async () => {
    const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
    const wit = await componentWit(readFileSync(wasm));
    const imported = [...wit.matchAll(/import (fermyon:spin\/[a-z-]+@2\.0\.0);/g)].map((m) => m[1]).sort();
    assert.deepEqual(imported, SPIN_SDK_IMPORTS.toSorted());
  });

  test("the SDK's Router routes on spin-full-url: params and query reach the handler", async () => {
    assert.deepEqual(await request('/api/hello/bob?x=1'), [200, 'hello bob (query {"x":"1"})']);
    assert.deepEqual(await request('/api/hello/al%20ice'), [200, 'hello al%20ice (query {})']);
  });

  test('the spin-* headers the guest sees, for a route with a parameter and a wildcard', async () => {
    const [status, body] = await request('/users/42/more/a%20b/?q=1', { headers: { 'spin-client-addr': '6.6.6.6:1' } });
    assert.equal(status, 200, body);
    const h = JSON.parse(body) as Record<string, string>;
    const port = new URL(child.url).port;
    assert.match(h['spin-client-addr']!, /^127\.0\.0\.1:\d+$/, 'the client cannot set it');
    delete h['spin-client-addr'];
    assert.deepEqual(h, {
      'spin-full-url': `http://127.0.0.1:${port}/users/42/more/a%20b/?q=1`,
      'spin-path-info': '/more/a%20b/',
      'spin-matched-route': '/users/:user_id/...',
      'spin-base-path': '/',
      'spin-raw-component-route': '/users/:user_id/...',
      'spin-component-route': '/users/:user_id',
      'spin-path-match-user-id': '42',
    });
  });

  test('Kv.openDefault(): set, get, exists, getKeys, delete', async () => {
    assert.deepEqual(await request('/api/kv/fruit', { method: 'PUT', body: 'apple' }), [204, '']);
    assert.deepEqual(await request('/api/kv/veg', { method: 'PUT', body: 'leek' }), [204, '']);
    assert.deepEqual(await request('/api/kv/fruit'), [200, 'apple']);
    assert.deepEqual(await request('/api/kv-exists/fruit'), [200, 'true']);
    assert.deepEqual(await request('/api/keys'), [200, '["fruit","veg"]']);
    assert.deepEqual(await request('/api/kv/fruit', { method: 'DELETE' }), [204, '']);
    assert.deepEqual(await request('/api/kv/fruit'), [404, 'no such key']);
    assert.deepEqual(await request('/api/kv-exists/fruit'), [200, 'false']);
    assert.deepEqual(await request('/api/keys'), [200, '["veg"]']);
  });

  test('Sqlite.openDefault().execute with typed parameters: integer, real, text, blob, null', async () => {
    const post = (name: string, weight: number) => request('/api/sql', { method: 'POST', body: JSON.stringify({ name, weight }) });
    assert.equal((await post('light', 0.5))[0], 200);
    const [status, body] = await post('heavy', 2.25);
    assert.equal(status, 200, body);
    assert.deepEqual(JSON.parse(body), {
      columns: ['id', 'name', 'weight', 'data', 'note'],
      rows: [{ id: 2, name: 'heavy', weight: 2.25, data: { blob: [1, 2, 255] }, note: null }],
    });
  });

  test('Variables.get: a component variable from a template; an undeclared one is null', async () => {
    assert.deepEqual(await request('/api/var/greeting'), [200, 'hello world']);
    assert.deepEqual(await request('/api/var/nope'), [404, 'no variable nope']);
  });
});
