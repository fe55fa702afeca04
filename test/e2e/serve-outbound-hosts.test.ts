// `allowed_outbound_hosts` end to end: a manifest's entries, parsed once at load, carried by the
// locked app to the component workers and matched there by wasi:http/outgoing-handler. The
// http-serve fixture's `/outbound` GETs the URL in `x-outbound-url` (502 "denied <code>" on error).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer, type RunningHttpServer } from '../../src/triggers/http/server.ts';
import { buildHttpServeComponent } from '../support/components.ts';

describe('wasmlet serve: allowed_outbound_hosts', () => {
  let server: RunningHttpServer;
  let upstream: Server;
  let port = 0;
  let appDir = '';
  let hits = 0;
  const env = { SPIN_VARIABLE_UPSTREAM_HOST: '127.0.0.1' };

  before(async () => {
    upstream = createServer((req, res) => { hits++; res.writeHead(200); res.end(`upstream saw ${req.url}`); });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    port = (upstream.address() as { port: number }).port;
    appDir = mkdtempSync(join(tmpdir(), 'wasmlet-outbound-hosts-'));
    copyFileSync(await buildHttpServeComponent(), join(appDir, 'handler.wasm'));
    const component = (id: string, allowed: string[]) => [
      '[[trigger.http]]', `route = "/${id}/..."`, `component = "${id}"`,
      `[component.${id}]`, 'source = "handler.wasm"', `allowed_outbound_hosts = ${JSON.stringify(allowed)}`,
    ];
    writeFileSync(join(appDir, 'spin.toml'), [
      'spin_manifest_version = 2',
      '[application]', 'name = "outbound-hosts"',
      // Templated entries: the host from SPIN_VARIABLE_UPSTREAM_HOST, the ports from defaults.
      '[variables]', 'upstream_host = { required = true }', `upstream_port = { default = "${port}" }`,
      `wrong_port = { default = "${port + 1}" }`,
      '[[trigger.http]]', 'route = "/..."', 'component = "none"',
      '[component.none]', 'source = "handler.wasm"',
      ...component('any-port', ['http://127.0.0.1:*']),
      ...component('range', [`http://127.0.0.1:${port}..${port + 1}`]),
      ...component('other-range', [`http://127.0.0.1:${port + 1}..${port + 10}`]),
      ...component('cidr', ['*://127.0.0.0/8:*']),
      ...component('https-only', ['https://127.0.0.1:*']),
      ...component('self', ['http://self']),
      ...component('templated', ['http://{{ upstream_host }}:{{ upstream_port }}']),
      ...component('templated-other', ['http://{{ upstream_host }}:{{ wrong_port }}']),
    ].join('\n'));
    server = await startHttpServer({
      app: await loadApp(appDir, { env }), host: '127.0.0.1', port: 0, workers: 2, log: createServerLog('json', () => {}),
    });
  });
  after(async () => {
    await server.close(2000);
    upstream.close();
    rmSync(appDir, { recursive: true, force: true });
  });

  const outbound = async (route: string, url: string) => {
    const res = await fetch(`${server.url}${route}/outbound`, { headers: { 'x-outbound-url': url } });
    return `${res.status} ${await res.text()}`;
  };

  for (const route of ['/any-port', '/range', '/cidr', '/templated']) {
    test(`${route}: reaches the local server`, async () => {
      const before = hits;
      assert.equal(await outbound(route, `http://127.0.0.1:${port}/up?q=1`), '200 upstream 200 upstream saw /up?q=1');
      assert.equal(hits, before + 1);
    });
  }

  for (const route of ['', '/other-range', '/https-only', '/self', '/templated-other']) {
    test(`${route || '/ (no grant)'}: denied with HTTP-request-denied, nothing sent`, async () => {
      const before = hits;
      assert.equal(await outbound(route, `http://127.0.0.1:${port}/up`), '502 denied HTTP-request-denied');
      assert.equal(hits, before);
    });
  }

  test('the locked app carries the parsed entries', async () => {
    const app = await loadApp(appDir, { env });
    assert.deepEqual(app.components.templated?.allowedOutboundHosts, [{
      scheme: 'http', host: { type: 'name', name: '127.0.0.1' }, port: { min: port, max: port }, source: 'http://{{ upstream_host }}:{{ upstream_port }}',
    }]);
    assert.deepEqual(app.components.range?.allowedOutboundHosts, [{
      scheme: 'http', host: { type: 'name', name: '127.0.0.1' }, port: { min: port, max: port }, source: `http://127.0.0.1:${port}..${port + 1}`,
    }]);
  });

  test('`http://self` lets a component call the app itself through self.alt; others may not', async () => {
    const text = await outbound('/self', 'http://self.alt/echo/ping?x=1');
    assert.match(text, /^200 upstream 200 /);
    const echoed = JSON.parse(text.slice('200 upstream 200 '.length)) as { path: string; headers: [string, string][] };
    assert.equal(echoed.path, '/echo/ping?x=1');
    assert.ok(echoed.headers.some(([k, v]) => k === 'host' && v === `127.0.0.1:${server.port}`), JSON.stringify(echoed.headers));
    assert.equal(await outbound('/any-port', 'http://self.alt/echo/ping'), '502 denied HTTP-request-denied');
  });

  test('an invalid entry is a manifest error with its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmlet-outbound-bad-'));
    try {
      copyFileSync(join(appDir, 'handler.wasm'), join(dir, 'handler.wasm'));
      writeFileSync(join(dir, 'spin.toml'), [
        'spin_manifest_version = 2', '[application]', 'name = "bad"',
        '[[trigger.http]]', 'route = "/..."', 'component = "c"',
        '[component.c]', 'source = "handler.wasm"',
        'allowed_outbound_hosts = ["insecure:allow-all"]',
      ].join('\n'));
      await assert.rejects(loadApp(dir), (err: Error & { code?: string }) =>
        err.code === 'WASMLET_ERR_MANIFEST' && /spin\.toml:9: allowed_outbound_hosts entry `insecure:allow-all`: .*use '\*:\/\/\*:\*'/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
