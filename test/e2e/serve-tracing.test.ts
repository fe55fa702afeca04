// OpenTelemetry traces of `wasmlet serve` (a child process configured by OTEL_EXPORTER_OTLP_ENDPOINT
// and OTEL_EXPORTER_OTLP_PROTOCOL) received by a real OTLP receiver in this test, once per
// protocol: http/protobuf (the default: nothing set), http/json and grpc (test/support/
// otlp-receivers.ts decodes each). The same span trees are asserted for each: a component request
// with an outbound call (under an incoming traceparent, which it continues), key-value and SQLite
// calls, and a WAGI request; the W3C traceparent the upstream received names the outbound span.
// An unknown protocol stops `serve` at startup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';
import { buildC } from '../support/fixtures.ts';
import { buildHttpServeComponent, buildHttpSpinComponent } from '../support/components.ts';
import { startOtlpReceiver } from '../support/otlp-receivers.ts';
import type { OtlpReceiver, OtlpTestProtocol, ReceivedSpan } from '../support/otlp-receivers.ts';
import { startServe } from '../support/serve-child.ts';
import type { ServeChild } from '../support/serve-child.ts';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

let dir: string;
let upstream: Server;
const upstreamTraceparents: string[] = [];

before(async () => {
  upstream = createServer((req, res) => {
    upstreamTraceparents.push(String(req.headers.traceparent));
    res.end('upstream says hi');
  });
  const upstreamPort = await listen(upstream);
  dir = mkdtempSync(join(tmpdir(), 'wasmlet-tracing-'));
  copyFileSync(await buildHttpServeComponent(), join(dir, 'api.wasm'));
  copyFileSync(await buildHttpSpinComponent(), join(dir, 'spin.wasm'));
  copyFileSync(buildC('examples/hello/hello.c'), join(dir, 'hello.wasm'));
  writeFileSync(join(dir, 'wasmlet.toml'), [
    'spin_manifest_version = 2', '[application]', 'name = "traced"',
    '[[trigger.http]]', 'route = "/out/..."', 'component = "api"',
    '[[trigger.http]]', 'route = "/spin/..."', 'component = "spin"',
    '[[trigger.http]]', 'route = "/hello/..."', 'component = "hello"',
    '[component.api]', 'source = "api.wasm"', `allowed_outbound_hosts = ["http://127.0.0.1:${upstreamPort}"]`,
    '[component.spin]', 'source = "spin.wasm"', 'key_value_stores = ["default"]', 'sqlite_databases = ["default"]',
    '[component.hello]', 'source = "hello.wasm"', '',
  ].join('\n'));
});

after(() => {
  upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

const incoming = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

/**
 * One `wasmlet serve` exporting to a receiver of `protocol`; `env` is how the protocol (and maybe
 * the endpoint: it gets the receiver's) is chosen, empty for the default; `requireHeader` as
 * `startOtlpReceiver`'s.
 */
function tracedServe(protocol: OtlpTestProtocol, env: Record<string, string> | ((endpoint: string) => Record<string, string>), endpointLogged: RegExp,
  requireHeader?: [string, string]): void {
  describe(`OpenTelemetry traces over OTLP ${protocol}`, () => {
    let receiver: OtlpReceiver;
    let serve: ServeChild;

    before(async () => {
      receiver = await startOtlpReceiver(protocol, requireHeader);
      serve = await startServe([dir, '--workers', '1'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: 'traced-test',
        ...typeof env === 'function' ? env(receiver.endpoint) : env,
      });
      assert.match(serve.logs(), endpointLogged);
    });

    after(async () => {
      serve.proc.kill('SIGTERM');
      await serve.exit;
      await receiver.close();
    });

    test('spans per request, children per step and host call; traceparent continued and propagated', async () => {
      upstreamTraceparents.length = 0;
      const outbound = await fetch(`${serve.url}/out/outbound`, {
        headers: { 'x-outbound-url': `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/up`, traceparent: `00-${incoming.traceId}-${incoming.spanId}-01` },
      });
      assert.equal(await outbound.text(), 'upstream 200 upstream says hi');
      assert.equal((await fetch(`${serve.url}/spin/counter`)).status, 200);
      assert.equal((await fetch(`${serve.url}/spin/sql`)).status, 200);
      assert.equal((await fetch(`${serve.url}/hello/x`)).status, 200);
      // SIGTERM flushes the batch processor: every span is exported before the process exits.
      serve.proc.kill('SIGTERM');
      assert.equal(await serve.exit, 0);
      assert.deepEqual(receiver.problems, []);
      assert.deepEqual([...receiver.serviceNames], ['traced-test']);
      assertSpanTrees(receiver.spans);
    });
  });
}

/** The spans of the four requests the test sends, whatever protocol carried them. */
function assertSpanTrees(spans: readonly ReceivedSpan[]): void {
  const byName = (name: string, parent?: ReceivedSpan) => spans.filter((s) => s.name === name && (!parent || s.parentSpanId === parent.spanId));
  const one = (name: string, parent?: ReceivedSpan) => {
    const found = byName(name, parent);
    assert.equal(found.length, 1, `one span '${name}'${parent ? ` under '${parent.name}'` : ''}; got ${JSON.stringify(spans.map((s) => s.name))}`);
    return found[0]!;
  };

  // The component request with an outbound call, continuing the caller's trace.
  const request = one('GET /out/...');
  assert.equal(request.kind, 2, 'SERVER');
  assert.equal(request.traceId, incoming.traceId);
  assert.equal(request.parentSpanId, incoming.spanId);
  assert.equal(request.attributes['http.route'], '/out/...');
  assert.equal(request.attributes['wasmlet.component_id'], 'api');
  assert.equal(request.attributes['http.response.status_code'], 200);
  assert.equal(request.attributes['url.path'], '/out/outbound');
  const instantiate = one('instantiate', request);
  const run = one('guest run', request);
  assert.equal(instantiate.traceId, incoming.traceId);
  const call = one('GET', run);
  assert.equal(call.kind, 3, 'CLIENT');
  assert.match(String(call.attributes['url.full']), /\/up$/);
  assert.deepEqual(upstreamTraceparents, [`00-${incoming.traceId}-${call.spanId}-01`]);

  // Key-value and SQLite calls nest under the guest run.
  const spinRequests = byName('GET /spin/...');
  assert.equal(spinRequests.length, 2);
  const runs = spinRequests.map((r) => one('guest run', r));
  const kvOps = runs.flatMap((r) => spans.filter((s) => s.parentSpanId === r.spanId && s.name.startsWith('spin_key_value.')).map((s) => s.name));
  assert.deepEqual(kvOps.sort(), ['spin_key_value.get', 'spin_key_value.open', 'spin_key_value.set']);
  const sql = runs.flatMap((r) => spans.filter((s) => s.parentSpanId === r.spanId && s.name === 'spin_sqlite.execute'));
  assert.ok(sql.length >= 2, 'each statement is a span');
  assert.ok(sql.some((s) => /^CREATE TABLE/i.test(String(s.attributes['db.query.text']))));
  assert.equal(runs.flatMap((r) => byName('spin_sqlite.open', r)).length, 1);

  // A WAGI request: a new trace (no incoming traceparent), instantiate and guest run.
  const hello = one('GET /hello/...');
  assert.equal(hello.parentSpanId, '');
  assert.notEqual(hello.traceId, incoming.traceId);
  one('instantiate', hello);
  one('guest run', hello);
}

// The default (no protocol variable, or an empty one: unset) is http/protobuf.
tracedServe('http/protobuf', { OTEL_EXPORTER_OTLP_PROTOCOL: '', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '' },
  /tracing to OTLP endpoint.*http:\/\/127\.0\.0\.1:\d+\/v1\/traces.*http\/protobuf/);
// The per-signal endpoint is used as is (the receiver refuses a doubled /v1/traces), and
// OTEL_EXPORTER_OTLP_HEADERS reaches the receiver.
tracedServe('http/json', (endpoint) => ({
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '', OTEL_EXPORTER_OTLP_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`, OTEL_EXPORTER_OTLP_HEADERS: 'x-otlp-test=from-env',
}), /tracing to OTLP endpoint.*\/v1\/traces.*http\/json/, ['x-otlp-test', 'from-env']);
// The per-signal variable wins over the general one; over gRPC the endpoint has no path.
tracedServe('grpc', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' },
  /tracing to OTLP endpoint.*http:\/\/127\.0\.0\.1:\d+\b(?!\/v1).*grpc/);

test('an unknown OTLP protocol stops serve at startup (exit 2), naming the variable, the value and the choices', async () => {
  const result = await runCli(['serve', dir, '--listen', '127.0.0.1:0'], undefined, {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/proto', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '',
  });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /OTEL_EXPORTER_OTLP_PROTOCOL="http\/proto" is not an OTLP protocol; use one of http\/protobuf, http\/json, grpc/);
  assert.doesNotMatch(result.stdout, /listening on/);
});
