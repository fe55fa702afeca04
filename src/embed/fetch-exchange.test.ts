// The fetch adapter on its own: a Request read as an IncomingMessage, a FetchResponse turned into
// a Response (heads, bodyless statuses, backpressure, cancellation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { FetchResponse, toIncomingMessage } from './fetch-exchange.ts';

async function readAll(req: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk.toString();
  return text;
}

test('a Request becomes an IncomingMessage with its head, Host from the URL, and its body', async () => {
  const req = toIncomingMessage(new Request('http://example.test:8080/a/b?x=1', {
    method: 'POST', headers: { 'X-One': '1' }, body: 'hello',
  }), { remoteAddress: '10.0.0.1', remotePort: 5000 });
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/a/b?x=1');
  assert.equal(req.headers.host, 'example.test:8080');
  assert.equal(req.headers['x-one'], '1');
  assert.deepEqual([req.rawHeaders[0], req.rawHeaders[1]], ['host', 'example.test:8080']);
  assert.equal(req.socket.remoteAddress, '10.0.0.1');
  assert.equal(req.socket.localPort, 8080);
  assert.equal(await readAll(req), 'hello');
});

test('a streamed body of unknown length is chunked; a bodiless request has ended', async () => {
  const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('a')); c.enqueue(new TextEncoder().encode('b')); c.close(); } });
  const req = toIncomingMessage(new Request('http://x/', { method: 'PUT', body, duplex: 'half' } as RequestInit));
  assert.equal(req.headers['transfer-encoding'], 'chunked');
  assert.equal(await readAll(req), 'ab');
  const get = toIncomingMessage(new Request('http://x/'));
  assert.equal(get.headers['transfer-encoding'], undefined);
  assert.equal(await readAll(get), '');
});

test('aborting the Request fails its body stream', async () => {
  const controller = new AbortController();
  const body = new ReadableStream({ pull() { /* never ends */ } });
  const req = toIncomingMessage(new Request('http://x/', { method: 'PUT', body, duplex: 'half', signal: controller.signal } as RequestInit));
  req.resume();
  const failed = once(req, 'error');
  controller.abort();
  const [err] = await failed as [Error];
  assert.match(err.message, /aborted/);
});

test('the head resolves the Response; setHeader, writeHead headers and framing headers', async () => {
  const res = new FetchResponse(false);
  res.setHeader('X-Request-Id', 'r1');
  res.writeHead(201, ['Content-Type', 'text/plain', 'Connection', 'close', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  res.end(new TextEncoder().encode('made'));
  const response = await res.response;
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('x-request-id'), 'r1');
  assert.equal(response.headers.get('connection'), null, 'framing headers are dropped');
  assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
  assert.equal(await response.text(), 'made');
  assert.equal(res.writableFinished, true);
});

test('HEAD and null-body statuses give a Response without a body', async () => {
  const head = new FetchResponse(true);
  head.writeHead(200, { 'Content-Type': 'text/plain' });
  head.end('ignored');
  assert.equal((await head.response).body, null);
  const noContent = new FetchResponse(false);
  noContent.writeHead(204, {});
  noContent.end();
  assert.equal((await noContent.response).body, null);
});

test('write callbacks wait for the consumer to pull (backpressure)', async () => {
  const res = new FetchResponse(false);
  res.writeHead(200, []);
  const flushed: number[] = [];
  for (let i = 0; i < 8; i++) res.write(new Uint8Array([i]), () => flushed.push(i));
  await new Promise((r) => setImmediate(r));
  assert.ok(flushed.length < 8, `the chunks past the stream's high-water mark wait (flushed ${flushed.length})`);
  const reader = (await res.response).body!.getReader();
  const seen: number[] = [];
  while (seen.length < 8) seen.push(...(await reader.read()).value!);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(flushed.length, 8, 'every callback ran once the consumer read');
});

test('a consumer that cancels the body closes the exchange (the handler aborts the guest)', async () => {
  const res = new FetchResponse(false);
  res.writeHead(200, []);
  res.write(new Uint8Array([1]));
  const closed = once(res, 'close');
  await (await res.response).body!.cancel();
  await closed;
  assert.equal(res.destroyed, true);
});

test('destroyed before its head, the Response rejects', async () => {
  const res = new FetchResponse(false);
  res.destroy();
  await assert.rejects(res.response, /aborted before its head/);
});
