import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './limits.ts';

/** A server answering each request with the length and text of the body `readBody` read. */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    readBody(req, 1024).then((body) => res.end(`${body.length}:${Buffer.from(body).toString()}`),
      (err: Error) => { res.statusCode = 413; res.end(err.message); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function send(port: number, agent: Agent, method: string, headers: Record<string, string>, body?: string | string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: '/', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    for (const part of typeof body === 'string' ? [body] : body ?? []) req.write(part);
    req.end();
  });
}

test('readBody: no body without Content-Length or Transfer-Encoding; bodies either way; the connection serves on', async () => {
  const server = await echoServer();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 }); // every request on one connection
  try {
    assert.equal(await send(server.port, agent, 'GET', {}), '0:');
    assert.equal(await send(server.port, agent, 'POST', { 'Content-Length': '5' }, 'hello'), '5:hello');
    assert.equal(await send(server.port, agent, 'POST', { 'Content-Length': '0' }), '0:');
    assert.equal(await send(server.port, agent, 'POST', { 'Transfer-Encoding': 'chunked' }, ['ab', 'cd']), '4:abcd');
    assert.equal(await send(server.port, agent, 'GET', {}), '0:');
  } finally {
    agent.destroy();
    await server.close();
  }
});

test('an HTTP/2 request body without Content-Length (no Transfer-Encoding in h2) is still read', async () => {
  const { createServer: createH2Server, connect } = await import('node:http2');
  const server = createH2Server((req, res) => {
    readBody(req as unknown as Parameters<typeof readBody>[0], 1024).then((body) => res.end(`${body.length}:${Buffer.from(body).toString()}`),
      (err: Error) => { res.statusCode = 413; res.end(err.message); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const stream = client.request({ ':method': 'POST', ':path': '/' }); // streamed: no content-length
      let out = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => { out += c; });
      stream.on('end', () => resolve(out));
      stream.on('error', reject);
      stream.write('h2 ');
      stream.end('body');
    });
    assert.equal(text, '7:h2 body');
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
