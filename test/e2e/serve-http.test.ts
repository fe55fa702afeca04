// `wasmlet serve` end to end, in process: a real app (C, AssemblyScript and WAT guests built from
// source) behind the real HTTP server and worker pool, driven with fetch and raw sockets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import type { RunningHttpServer } from '../../src/triggers/http/server.ts';
import { buildServeApp } from '../fixtures/serve/serve-app.ts';

const MAX_BODY = 64 * 1024;

/** Sends raw bytes and returns everything the server answers before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.on('data', (d) => { out += d.toString('latin1'); });
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1];
}

describe('wasmlet serve (in process)', () => {
  let server: RunningHttpServer;
  const lines: string[] = [];

  before(async () => {
    const app = await loadApp(await buildServeApp());
    server = await startHttpServer({
      app, host: '127.0.0.1', port: 0, workers: 2, maxBodyBytes: MAX_BODY,
      log: createServerLog('json', (line) => lines.push(line)),
    });
  });
  after(async () => { await server.close(2000); });

  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  test('starts only the WAGI worker pool for an app of core modules', () => {
    assert.deepEqual(server.workerThreads, { wagi: 2, wasiHttp: 0 });
  });

  test('routes by precedence: literal beats :param beats wildcard, longest prefix first', async () => {
    const exact = await (await fetch(`${server.url}/hello/bob/exact`)).text();
    assert.equal(field(exact, 'X_MATCHED_ROUTE'), '/hello/:name/exact');
    const wild = await (await fetch(`${server.url}/hello/bob/other`)).text();
    assert.equal(field(wild, 'X_MATCHED_ROUTE'), '/hello/...');
    assert.equal(field(wild, 'PATH_INFO'), '/bob/other');
    assert.equal(field(wild, 'SCRIPT_NAME'), '/hello');
    const root = await fetch(`${server.url}/elsewhere/x`);
    assert.equal(root.status, 200);
    assert.equal(await root.text(), 'Hello from AssemblyScript! GET /elsewhere/x\n');
  });

  test('passes CGI variables, argv and the component environment', async () => {
    const res = await fetch(`${server.url}/hello/a%20b?x=1&y=2`, { headers: { 'User-Agent': 'serve-test/1' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{6}-/);
    const text = await res.text();
    assert.match(text, /^Hello from WAGI!\n/);
    assert.equal(field(text, 'REQUEST_METHOD'), 'GET');
    assert.equal(field(text, 'PATH_INFO'), '/a b');
    assert.equal(field(text, 'QUERY_STRING'), 'x=1&y=2');
    assert.equal(field(text, 'SERVER_PORT'), String(server.port));
    assert.equal(field(text, 'HTTP_USER_AGENT'), 'serve-test/1');
    assert.equal(field(text, 'REMOTE_ADDR'), '127.0.0.1');
    assert.equal(field(text, 'GREETING'), 'hi');
    assert.equal(field(text, 'argv\\[0\\]'), '/hello/a%20b');
    assert.equal(field(text, 'argv\\[1\\]'), 'x=1');
    assert.equal(field(text, 'argv\\[2\\]'), 'y=2');
  });

  test('echoes request bodies up to the limit; one byte over is 413', async () => {
    const body = 'z'.repeat(MAX_BODY);
    const ok = await fetch(`${server.url}/hello/echo`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
    assert.equal(ok.status, 200);
    const text = await ok.text();
    assert.equal(field(text, 'CONTENT_LENGTH'), String(MAX_BODY));
    assert.equal(field(text, 'CONTENT_TYPE'), 'text/plain');
    assert.ok(text.endsWith(`body:\n${body}`));

    const over = await fetch(`${server.url}/hello/echo`, { method: 'POST', body: `${body}z` });
    assert.equal(over.status, 413);
    await over.text();
  });

  test('a chunked body without Content-Length is cut off at the limit with 413', async () => {
    const chunk = 'y'.repeat(16 * 1024);
    const head = 'POST /hello/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    let req = head;
    for (let i = 0; i < 5; i++) req += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    req += '0\r\n\r\n';
    const answer = await raw(server.port, req);
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });

  test('serves a file from a read-only files mount', async () => {
    const res = await fetch(`${server.url}/static/x.txt`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello from a mounted file\n');
    const missing = await fetch(`${server.url}/static/nope.txt`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /no such asset: \/assets\/nope\.txt/);
  });

  test('answers many concurrent requests, each from a fresh instance', async () => {
    const responses = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      fetch(`${server.url}/hello/n${i}?i=${i}`, { method: 'POST', body: `req-${i}` }).then(async (r) => ({ status: r.status, text: await r.text() }))));
    responses.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(field(r.text, 'PATH_INFO'), `/n${i}`);
      assert.ok(r.text.endsWith(`body:\nreq-${i}`), `response ${i} carries its own body only`);
    });
  });

  test('streams a large body intact', async () => {
    const n = 3 * 1024 * 1024 + 17;
    const res = await fetch(`${server.url}/big?${n}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-body-bytes'), String(n));
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(bytes.length, n);
    for (let i = 0; i < n; i += 4099) assert.equal(bytes[i], 97 + (i % 26), `byte ${i}`);
    assert.equal(bytes[n - 1], 97 + ((n - 1) % 26));
  });

  test('a trap is a 500, even after the guest printed its headers', async () => {
    const res = await fetch(`${server.url}/trap`);
    assert.equal(res.status, 500);
    assert.doesNotMatch(await res.text(), /about to trap/);
  });

  test('a malformed CGI response is a 502 with the reason logged', async () => {
    const res = await fetch(`${server.url}/bad`);
    assert.equal(res.status, 502);
    await res.text();
    const id = res.headers.get('x-request-id');
    const entry = logged().find((l) => l.msg === 'request' && l.requestId === id);
    assert.equal(entry?.status, 502);
    assert.match(String(entry?.error), /WASMLET_ERR_CGI_RESPONSE.*no-blank-line/);
  });

  test('proc_exit(3) before any output is a 500', async () => {
    const res = await fetch(`${server.url}/exit`);
    assert.equal(res.status, 500);
    await res.text();
  });

  test('logs one access line per request and guest stderr with the request id', async () => {
    const res = await fetch(`${server.url}/slow?10`);
    assert.equal(await res.text(), 'slept 10 ms\n');
    const id = res.headers.get('x-request-id');
    const entries = logged();
    const access = entries.filter((l) => l.msg === 'request' && l.requestId === id);
    assert.equal(access.length, 1);
    assert.equal(access[0]!.method, 'GET');
    assert.equal(access[0]!.path, '/slow?10');
    assert.equal(access[0]!.route, '/slow');
    assert.equal(access[0]!.component, 'slow');
    assert.equal(access[0]!.status, 200);
    assert.equal(typeof access[0]!.durationMs, 'number');
    const stderr = entries.filter((l) => l.msg === 'stderr' && l.requestId === id);
    assert.deepEqual(stderr.map((l) => l.line), ['slow guest: waiting 10 ms']);
  });

  test('malformed requests get 400, oversized heads 431', async () => {
    assert.match(await raw(server.port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await raw(server.port, '\x00\x01\x02 nonsense HTTP/9\r\n\r\n'), /^HTTP\/1\.1 400 /);
    const big = `GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`;
    assert.match(await raw(server.port, big), /^HTTP\/1\.1 431 /);
    // The server is still fine.
    assert.equal((await fetch(`${server.url}/hello/ok`)).status, 200);
  });
});
