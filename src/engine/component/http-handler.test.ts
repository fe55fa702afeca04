import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHttpEchoComponent } from '../../../test/support/components.ts';
import { parseAllowedHosts } from '../../host/http-outbound/allowed-hosts.ts';
import { handleHttpRequest, handleHttpRequestOn, type HttpResponseOutput } from './http-handler.ts';
import { PrewarmedInstances } from './prewarmed-instances.ts';
import { createComponentHost } from './component-host.ts';
import { ExitSignal } from '../../host/wasi/p2/exit-signal.ts';
import { prepareComponent, type PreparedComponent } from './transpile.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-http-test-'));
let prepared: PreparedComponent;
let upstream: Server;
let upstreamPort = 0;
let upstreamHits = 0;
let releaseSlow: (() => void) | undefined;

before(async () => {
  prepared = await prepareComponent(readFileSync(await buildHttpEchoComponent()), { cacheDir });
  upstream = createServer((req, res) => {
    upstreamHits++;
    if (req.url === '/slow') {
      releaseSlow = () => { res.writeHead(200); res.end('slow done'); };
      return;
    }
    res.writeHead(201, { 'content-type': 'text/plain' });
    res.end(`hi from upstream ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as { port: number }).port;
});

after(() => {
  upstream.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function collect(res: HttpResponseOutput): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of res.body) chunks.push(c);
  await res.done;
  return Buffer.concat(chunks);
}

function header(res: HttpResponseOutput, name: string): string | undefined {
  const h = res.headers.find(([k]) => k === name);
  return h ? Buffer.from(h[1]).toString() : undefined;
}

test('echoes method, path, headers and body of a synthetic request', async () => {
  const res = await handleHttpRequest(prepared, {
    method: 'POST', pathWithQuery: '/echo/me?x=1',
    headers: [['x-test', 'value-1'], ['content-type', 'text/plain']],
    body: (async function* () { yield Buffer.from('hello '); yield Buffer.from('body'); })(),
  });
  assert.equal(res.status, 200);
  assert.equal(header(res, 'x-echo-method'), 'POST');
  const echoed = JSON.parse((await collect(res)).toString());
  assert.equal(echoed.method, 'POST');
  assert.equal(echoed.path, '/echo/me?x=1');
  assert.deepEqual(echoed.headers, [['x-test', 'value-1'], ['content-type', 'text/plain']]);
  assert.equal(echoed.body, 'hello body');
});

test('streams a large response body in order', async () => {
  const n = 1_000_003;
  const res = await handleHttpRequest(prepared, { method: 'GET', pathWithQuery: `/large?n=${n}` });
  assert.equal(res.status, 200);
  let chunks = 0;
  const parts: Uint8Array[] = [];
  for await (const c of res.body) { chunks++; parts.push(c); }
  await res.done;
  const body = Buffer.concat(parts);
  assert.equal(body.length, n);
  assert.ok(chunks > 1, 'body arrives in several chunks');
  for (const i of [0, 25, 26, 999_999, n - 1]) assert.equal(body[i], 97 + (i % 26));
});

test('outbound request to an allowed host reaches the upstream server', async () => {
  const before = upstreamHits;
  const res = await handleHttpRequest(prepared, {
    method: 'GET', pathWithQuery: '/outbound',
    headers: [['x-outbound-url', `http://127.0.0.1:${upstreamPort}/up?q=1`]],
  }, { allowedOutboundHosts: parseAllowedHosts(['http://127.0.0.1:*']) });
  assert.equal((await collect(res)).toString(), 'upstream 201 hi from upstream /up?q=1');
  assert.equal(res.status, 200);
  assert.equal(upstreamHits, before + 1);
});

for (const [label, allowed] of [['no grant', []], ['another port', ['http://127.0.0.1:1']], ['https only', ['https://127.0.0.1:*']]] as const) {
  test(`outbound request is denied with HTTP-request-denied (${label})`, async () => {
    const before = upstreamHits;
    const res = await handleHttpRequest(prepared, {
      method: 'GET', pathWithQuery: '/outbound',
      headers: [['x-outbound-url', `http://127.0.0.1:${upstreamPort}/up`]],
    }, { allowedOutboundHosts: parseAllowedHosts(allowed) });
    assert.equal((await collect(res)).toString(), 'denied HTTP-request-denied');
    assert.equal(res.status, 502);
    assert.equal(upstreamHits, before);
  });
}

test('connection refused is an error-code for the guest, not a host exception', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const res = await handleHttpRequest(prepared, {
    method: 'GET', pathWithQuery: '/outbound', headers: [['x-outbound-url', `http://127.0.0.1:${port}/`]],
  }, { allowedOutboundHosts: parseAllowedHosts(['http://127.0.0.1:*']) });
  assert.equal((await collect(res)).toString(), 'denied connection-refused');
});

test('a guest blocked on outbound I/O (JSPI) does not block the thread: another request completes meanwhile', async () => {
  const allowedOutboundHosts = parseAllowedHosts(['http://127.0.0.1:*']);
  const slow = handleHttpRequest(prepared, {
    method: 'GET', pathWithQuery: '/outbound', headers: [['x-outbound-url', `http://127.0.0.1:${upstreamPort}/slow`]],
  }, { allowedOutboundHosts });
  while (releaseSlow === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  const fast = await handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/fast' });
  assert.equal(JSON.parse((await collect(fast)).toString()).path, '/fast');
  releaseSlow();
  assert.equal((await collect(await slow)).toString(), 'upstream 200 slow done');
});

test('every request gets a fresh instance: a module-level counter is 1 each time, with memories recycled', async () => {
  for (let i = 0; i < 4; i++) {
    const res = await handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/counter' });
    assert.equal((await collect(res)).toString(), '1');
  }
  const [pool, ...rest] = [...prepared.memoryPools!.values()].filter((p) => p !== null);
  assert.ok(pool !== undefined && rest.length === 0, 'the StarlingMonkey module memory is pooled');
  assert.ok(pool.stats().reused >= 3, 'sequential requests reuse zeroed memories');
});

test('pre-warmed instances: each serves exactly one request (counter is always 1), most requests find one ready', async () => {
  const pool = new PrewarmedInstances(prepared, {}, { size: 2 });
  try {
    const seen = new Set<object>();
    for (let i = 0; i < 6; i++) {
      await pool.whenReady(); // idle time: the pool refills
      const ready = await pool.take();
      assert.ok(!seen.has(ready.instance.exports), 'an instance is never handed out twice');
      seen.add(ready.instance.exports);
      const res = await handleHttpRequestOn(ready, { method: 'GET', pathWithQuery: '/counter' });
      assert.equal((await collect(res)).toString(), '1');
    }
    // Back-to-back requests drain the pool and then instantiate on the spot; still one each.
    const answers = await Promise.all(Array.from({ length: 5 }, async () => {
      const res = await handleHttpRequestOn(await pool.take(), { method: 'GET', pathWithQuery: '/counter' });
      return (await collect(res)).toString();
    }));
    assert.deepEqual(answers, ['1', '1', '1', '1', '1']);
    const stats = pool.stats();
    assert.equal(stats.hits + stats.misses, 11);
    assert.ok(stats.hits >= 6 && stats.misses >= 1, JSON.stringify(stats));
  } finally {
    pool.close();
  }
});

test('pre-warmed instances refill only when no taken instance is still serving', async () => {
  const pool = new PrewarmedInstances(prepared, {}, { size: 1 });
  try {
    await pool.whenReady();
    assert.equal(pool.stats().built, 1);
    const taken = await pool.take();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(pool.stats().built, 1, 'no instantiation while a request is in flight');
    const res = await handleHttpRequestOn(taken, { method: 'GET', pathWithQuery: '/counter' });
    assert.equal((await collect(res)).toString(), '1'); // handle settled: the instance retired
    await pool.whenReady();
    assert.equal(pool.stats().built, 2);
  } finally {
    pool.close();
  }
});

test('a guest that returns from handle without finishing the body fails the response at once, after what it wrote', { timeout: 30_000 }, async () => {
  const host = createComponentHost();
  const types = host.http.types as {
    Fields: new () => object;
    OutgoingResponse: new (f: object) => { body(): { write(): { write(b: Uint8Array): void } } };
    ResponseOutparam: { set(p: object, r: { tag: 'ok'; val: object }): void };
  };
  let retired = 0;
  // A guest in JS, calling the host's wasi:http objects as a component's lowered calls would.
  const handle = async (_request: object, outparam: object) => {
    const res = new types.OutgoingResponse(new types.Fields());
    const body = res.body();
    types.ResponseOutparam.set(outparam, { tag: 'ok', val: res });
    body.write().write(new TextEncoder().encode('half'));
    // returns without outgoing-body.finish, the body still held
  };
  const out = await handleHttpRequestOn({
    host, instance: { exports: { 'wasi:http/incoming-handler@0.2.0': { handle } }, retire: () => { retired++; } },
  }, { method: 'GET', pathWithQuery: '/' });
  const chunks: string[] = [];
  await assert.rejects(async () => {
    for await (const c of out.body) chunks.push(Buffer.from(c).toString());
  }, (err: { code?: string; message?: string }) => err.code === 'WASMLET_ERR_HTTP_NO_RESPONSE'
    && /returned from handle without finishing the response body/.test(err.message ?? ''));
  assert.deepEqual(chunks, ['half']);
  assert.equal(retired, 1);
});

test('a guest that calls exit(ok) with the body unfinished fails the response at once too', { timeout: 30_000 }, async () => {
  const host = createComponentHost();
  const types = host.http.types as {
    Fields: new () => object;
    OutgoingResponse: new (f: object) => { body(): { write(): { write(b: Uint8Array): void } } };
    ResponseOutparam: { set(p: object, r: { tag: 'ok'; val: object }): void };
  };
  const handle = async (_request: object, outparam: object) => {
    const res = new types.OutgoingResponse(new types.Fields());
    const body = res.body();
    types.ResponseOutparam.set(outparam, { tag: 'ok', val: res });
    body.write().write(new TextEncoder().encode('half'));
    throw new ExitSignal(0); // what wasi:cli/exit.exit(ok) throws
  };
  const out = await handleHttpRequestOn({
    host, instance: { exports: { 'wasi:http/incoming-handler@0.2.0': { handle } }, retire: () => {} },
  }, { method: 'GET', pathWithQuery: '/' });
  await assert.rejects(async () => {
    for await (const _ of out.body) { /* drain */ }
  }, (err: { code?: string; message?: string }) => err.code === 'WASMLET_ERR_HTTP_NO_RESPONSE' && /exited \(exit\(ok\)\)/.test(err.message ?? ''));
  await assert.rejects(out.done, { name: 'ExitSignal' }); // the worker reads exit(ok) as a normal end
});
