// Spin's local service chaining end to end: a component's outbound request to
// `http://<component>.spin.internal/<path>` is handled by that component in the same server (never
// the network), with a synthetic `/...` route match, client address 0.0.0.0:0, and only when the
// caller's allowed_outbound_hosts grants it. Private routes (`route = { private = true }`) are
// reachable only that way. The callers are the http-serve fixture (`/outbound` GETs the URL in
// `x-outbound-url`: 200 "upstream <status> <body>", 502 "denied <error-code>"); the targets are
// the C WAGI hello (prints its CGI variables) and http-serve's echo (JSON of what it received).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer, type RunningHttpServer } from '../../src/triggers/http/server.ts';
import { buildHttpServeComponent } from '../support/components.ts';
import { buildC } from '../support/fixtures.ts';

describe('wasmlet serve: service chaining (<component>.spin.internal) and private routes', () => {
  let server: RunningHttpServer;
  let appDir = '';
  const logLines: string[] = [];

  before(async () => {
    appDir = mkdtempSync(join(tmpdir(), 'wasmlet-chaining-'));
    copyFileSync(await buildHttpServeComponent(), join(appDir, 'handler.wasm'));
    copyFileSync(buildC('examples/hello/hello.c'), join(appDir, 'hello.wasm'));
    writeFileSync(join(appDir, 'spin.toml'), [
      'spin_manifest_version = 2',
      '[application]', 'name = "chaining"',
      '[[trigger.http]]', 'route = "/api/..."', 'component = "api"',
      '[[trigger.http]]', 'route = "/named/..."', 'component = "named"',
      '[[trigger.http]]', 'route = "/none/..."', 'component = "none"',
      '[[trigger.http]]', 'route = { private = true }', 'component = "hello"',
      '[[trigger.http]]', 'route = { private = true }', 'component = "echo"',
      '[component.api]', 'source = "handler.wasm"', 'allowed_outbound_hosts = ["http://*.spin.internal"]',
      '[component.named]', 'source = "handler.wasm"', 'allowed_outbound_hosts = ["http://hello.spin.internal"]',
      '[component.none]', 'source = "handler.wasm"', 'allowed_outbound_hosts = ["http://127.0.0.1:*"]',
      '[component.hello]', 'source = "hello.wasm"',
      '[component.echo]', 'source = "handler.wasm"',
    ].join('\n'));
    // Two workers: a chained request runs on a worker of its own (the caller's waits for it).
    server = await startHttpServer({
      app: await loadApp(appDir), host: '127.0.0.1', port: 0, workers: 2, log: createServerLog('json', (line) => logLines.push(line)),
    });
  });
  after(async () => {
    await server.close(2000);
    rmSync(appDir, { recursive: true, force: true });
  });

  const outbound = async (caller: string, url: string) => {
    const res = await fetch(`${server.url}/${caller}/outbound`, { headers: { 'x-outbound-url': url } });
    return { status: res.status, text: await res.text() };
  };

  test('a granted request is handled by the private WAGI component with a synthetic /... match', async () => {
    const { status, text } = await outbound('api', 'http://hello.spin.internal/some/path?q=1');
    assert.equal(status, 200, text);
    assert.match(text, /^upstream 200 Hello from WAGI!\n/);
    const vars = Object.fromEntries(text.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars['PATH_INFO'], '/some/path');
    assert.equal(vars['QUERY_STRING'], 'q=1');
    assert.equal(vars['X_MATCHED_ROUTE'], '/...');
    assert.equal(vars['X_FULL_URL'], 'http://hello.spin.internal/some/path?q=1');
    assert.equal(vars['REMOTE_ADDR'], '0.0.0.0');
    // The access log names the component and the synthetic route.
    const access = logLines.map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r['component'] === 'hello' && r['path'] === '/some/path?q=1');
    assert.ok(access, logLines.join('\n'));
    assert.equal(access['route'], '/...');
    assert.equal(access['status'], 200);
  });

  test('a wasi:http target sees Spin\'s headers of a synthetic match, and no chaining header', async () => {
    const { status, text } = await outbound('api', 'http://echo.spin.internal/a%20b/c?x=y');
    assert.equal(status, 200, text);
    const echo = JSON.parse(text.replace(/^upstream 200 /, '')) as { path: string; headers: [string, string][] };
    assert.equal(echo.path, '/a%20b/c?x=y');
    const headers = new Map(echo.headers);
    assert.equal(headers.get('spin-path-info'), '/a%20b/c');
    assert.equal(headers.get('spin-full-url'), 'http://echo.spin.internal/a%20b/c?x=y');
    assert.equal(headers.get('spin-matched-route'), '/...');
    assert.equal(headers.get('spin-raw-component-route'), '/...');
    assert.equal(headers.get('spin-component-route'), '');
    assert.equal(headers.get('spin-client-addr'), '0.0.0.0:0');
    assert.equal(headers.get('host'), 'echo.spin.internal');
    assert.ok(!echo.headers.some(([k]) => k.toLowerCase() === 'wasmlet-service-chaining'), text);
  });

  test('a named grant allows that component only; no grant is HTTP-request-denied', async () => {
    assert.match((await outbound('named', 'http://hello.spin.internal/x')).text, /^upstream 200 Hello from WAGI!/);
    assert.deepEqual(await outbound('named', 'http://echo.spin.internal/x'), { status: 502, text: 'denied HTTP-request-denied' });
    assert.deepEqual(await outbound('none', 'http://hello.spin.internal/x'), { status: 502, text: 'denied HTTP-request-denied' });
    assert.deepEqual(await outbound('named', 'https://hello.spin.internal/x'), { status: 502, text: 'denied HTTP-request-denied' });
  });

  test('under a wildcard grant: a host that names no one component is denied, an unknown component is 404', async () => {
    // `a.b.spin.internal` matches `*.spin.internal` but is not a chaining host: never sent to DNS.
    assert.deepEqual(await outbound('api', 'http://a.b.spin.internal/x'), { status: 502, text: 'denied HTTP-request-denied' });
    const unknown = await outbound('api', 'http://nope.spin.internal/x');
    assert.equal(unknown.text, 'upstream 404 service chaining: no HTTP component is named by nope.spin.internal\n');
  });

  test('a private route is not reachable from outside, even with a forged chaining header', async () => {
    for (const path of ['/', '/some/path', '/hello', '/...']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      await res.text();
    }
    const forged = await fetch(`${server.url}/some/path`, { headers: { 'wasmlet-service-chaining': `${'0'.repeat(32)} hello.spin.internal` } });
    assert.equal(forged.status, 404);
    assert.equal(await forged.text(), 'no route matches /some/path\n');
    // A public route still answers, and its guest never sees the forged header.
    const routed = await fetch(`${server.url}/api/echo`, { headers: { 'wasmlet-service-chaining': 'guess hello.spin.internal' } });
    const echo = JSON.parse(await routed.text()) as { path: string; headers: [string, string][] };
    assert.equal(echo.path, '/api/echo');
    assert.ok(!echo.headers.some(([k]) => k === 'wasmlet-service-chaining'));
    assert.equal(new Map(echo.headers).get('spin-matched-route'), '/api/...');
  });
});
