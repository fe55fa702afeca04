// OpenTelemetry traces of `wasmlet serve` (a child process configured by OTEL_EXPORTER_OTLP_ENDPOINT)
// received by an OTLP/HTTP receiver in this test: the span tree of a component request with an
// outbound call (under an incoming traceparent, which it continues), of key-value and SQLite
// calls, and of a WAGI request; the W3C traceparent the upstream received names the outbound span.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, repoRoot } from '../support/fixtures.ts';
import { buildHttpServeComponent, buildHttpSpinComponent } from '../support/components.ts';

const ENTRY = 'test/fixtures/serve/wasmlet-cli.ts';

/** A span as OTLP/JSON carries it, with attributes flattened. */
interface ReceivedSpan {
  traceId: string; spanId: string; parentSpanId: string; name: string; kind: number;
  attributes: Record<string, string | number | boolean>; status?: { code?: number };
}

/** OTLP `AnyValue` -> a JS value (strings, ints as numbers, bools). */
function anyValue(v: Record<string, unknown>): string | number | boolean {
  if ('stringValue' in v) return v.stringValue as string;
  if ('intValue' in v) return Number(v.intValue);
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('doubleValue' in v) return v.doubleValue as number;
  return JSON.stringify(v);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  const spans: ReceivedSpan[] = [];
  const serviceNames = new Set<string>();
  const upstreamTraceparents: string[] = [];
  let receiver: Server;
  let upstream: Server;
  let proc: ChildProcess;
  let exit: Promise<number | null>;
  let url: string;
  let dir: string;

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        assert.equal(req.url, '/v1/traces');
        assert.match(req.headers['content-type'] ?? '', /application\/json/);
        const data = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: Record<string, unknown> }[] };
          scopeSpans: { spans: (Omit<ReceivedSpan, 'attributes'> & { attributes?: { key: string; value: Record<string, unknown> }[] })[] }[] }[] };
        for (const rs of data.resourceSpans) {
          for (const a of rs.resource.attributes) if (a.key === 'service.name') serviceNames.add(String(anyValue(a.value)));
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans.push({ ...s, parentSpanId: s.parentSpanId ?? '', attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, anyValue(a.value)])) });
            }
          }
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    upstream = createServer((req, res) => {
      upstreamTraceparents.push(String(req.headers.traceparent));
      res.end('upstream says hi');
    });
    const [receiverPort, upstreamPort] = await Promise.all([listen(receiver), listen(upstream)]);

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
    proc = spawn(process.execPath, [ENTRY, 'serve', dir, '--listen', '127.0.0.1:0', '--workers', '1'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiverPort}`, OTEL_SERVICE_NAME: 'traced-test' },
    });
    exit = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    url = await new Promise<string>((resolve, reject) => {
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
    });
    assert.match(out, /tracing to OTLP endpoint/);
  });

  after(async () => {
    proc.kill('SIGTERM');
    await exit;
    receiver.close();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const incoming = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

  test('spans per request, children per step and host call; traceparent continued and propagated', async () => {
    const outbound = await fetch(`${url}/out/outbound`, {
      headers: { 'x-outbound-url': `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/up`, traceparent: `00-${incoming.traceId}-${incoming.spanId}-01` },
    });
    assert.equal(await outbound.text(), 'upstream 200 upstream says hi');
    assert.equal((await fetch(`${url}/spin/counter`)).status, 200);
    assert.equal((await fetch(`${url}/spin/sql`)).status, 200);
    assert.equal((await fetch(`${url}/hello/x`)).status, 200);
    // SIGTERM flushes the batch processor: every span is exported before the process exits.
    proc.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.deepEqual([...serviceNames], ['traced-test']);

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
  });
});
