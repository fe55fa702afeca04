// The embedding API end to end: examples/embed-app (a C WAGI route, a componentize-js wasi:http
// route on the key-value store) mounted in Node servers. The library in process (`loadApp`,
// `app.fetch`, `createHandler` on a real `node:http` server), then each example server
// (examples/embed-{node-http,express,hono}) spawned as a user runs it, on an ephemeral port, with
// `import ... from 'wasmlet'` resolving to the built package.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createHandler, loadApp, WasmletApp } from '../../src/embed/app.ts';
import { isWasmletError } from '../../src/util/errors.ts';
import { buildExampleEmbedNotesComponent } from '../support/components.ts';
import { ensureDist } from '../support/dist.ts';
import { repoRoot } from '../support/fixtures.ts';

const node = join(repoRoot, 'node_modules/.bin/node');
const work = mkdtempSync(join(tmpdir(), 'wasmlet-embed-'));
/** A copy of examples/embed-app with its built notes.wasm, beside `hello/hello.wasm` as in examples/. */
const appDir = join(work, 'embed-app');

before(async () => {
  ensureDist();
  const notes = await buildExampleEmbedNotesComponent();
  mkdirSync(appDir, { recursive: true });
  mkdirSync(join(work, 'hello'));
  copyFileSync(join(repoRoot, 'examples/embed-app/spin.toml'), join(appDir, 'spin.toml'));
  copyFileSync(notes, join(appDir, 'notes.wasm'));
  copyFileSync(join(repoRoot, 'examples/hello/hello.wasm'), join(work, 'hello/hello.wasm'));
});

after(() => rmSync(work, { recursive: true, force: true }));

/** The routes every mount must serve the same way: WAGI, a request body, KV through host services. */
async function checkApp(base: string, name: string): Promise<void> {
  const hello = await fetch(`${base}/hello/there?x=1`);
  assert.equal(hello.status, 200);
  const text = await hello.text();
  assert.match(text, /^Hello from WAGI!/);
  assert.match(text, /QUERY_STRING=x=1/);
  assert.match(text, /GREETING=embedded/, 'the component environment reaches the guest');
  assert.match(text, /X_MATCHED_ROUTE=\/hello\/\.\.\./);
  assert.ok(hello.headers.get('x-request-id'), 'every answer carries a request id');

  const echoed = await (await fetch(`${base}/hello/echo`, { method: 'POST', body: 'a body for WAGI' })).text();
  assert.match(echoed, /body:\na body for WAGI$/);

  const saved = await fetch(`${base}/notes/${name}`, { method: 'PUT', body: `milk for ${name}` });
  assert.equal(saved.status, 201);
  assert.equal(await saved.text(), `saved ${name} (${`milk for ${name}`.length} bytes)`);
  const read = await fetch(`${base}/notes/${name}`);
  assert.equal(read.status, 200);
  assert.equal(await read.text(), `milk for ${name}`);
  const missing = await fetch(`${base}/notes/never-${name}`);
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), `no note never-${name}`);
}

describe('the library in process', () => {
  let app: WasmletApp;
  let server: Server;
  let base = '';
  const access: number[] = [];

  before(async () => {
    app = await loadApp(appDir, { workers: 1, log: { access: (r) => access.push(r.status) } });
    const handler = createHandler(app);
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    server.close();
    await app.close();
  });

  test('loadApp reads the manifest: name and routes', () => {
    assert.equal(app.name, 'embed-app');
    assert.deepEqual([...app.routes], ['/hello/...', '/notes/:name']);
  });

  test('createHandler on a node:http server: WAGI, request bodies, key-value, and 404 without next', async () => {
    await checkApp(base, 'node');
    const none = await fetch(`${base}/nowhere`);
    assert.equal(none.status, 404);
    assert.equal(await none.text(), 'no route matches /nowhere\n');
    assert.ok(access.includes(201) && access.includes(404), 'access lines go to the log callback');
  });

  test('createHandler under node:http2 (h2c): streamed request bodies without Content-Length reach WAGI and wasi:http guests', async () => {
    const { createServer: createH2Server, connect } = await import('node:http2');
    const handler = createHandler(app);
    const h2 = createH2Server((req, res) => handler(req as never, res as never));
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const client = connect(`http://127.0.0.1:${(h2.address() as { port: number }).port}`);
    const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) => new Promise<{ status: number; text: string }>((resolve, reject) => {
      const stream = client.request({ ':method': method, ':path': path, ...headers }); // a streamed body: no content-length
      let status = 0;
      let text = '';
      stream.on('response', (headers) => { status = Number(headers[':status']); });
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => { text += c; });
      stream.on('end', () => resolve({ status, text }));
      stream.on('error', reject);
      if (body !== undefined) { stream.write(body.slice(0, 3)); stream.end(body.slice(3)); } else stream.end();
    });
    try {
      assert.match((await send('POST', '/hello/echo', 'an h2 body for WAGI')).text, /body:\nan h2 body for WAGI$/);
      assert.equal((await send('PUT', '/notes/h2', 'h2 milk')).status, 201);
      assert.deepEqual(await send('GET', '/notes/h2'), { status: 200, text: 'h2 milk' });
      // A (forged) service chaining header is dropped from an h2 request too (rawHeaders is a
      // getter there: replacing it must not throw), and the request is routed as any other.
      const forged = await send('GET', '/hello/h2', undefined, { 'wasmlet-service-chaining': 'guessed hello.spin.internal' });
      assert.equal(forged.status, 200);
      assert.match(forged.text, /^Hello from WAGI!/);
    } finally {
      client.close();
      await new Promise<void>((resolve) => h2.close(() => resolve()));
    }
  });

  test('app.fetch answers fetch Requests the same way, and sees what createHandler stored', async () => {
    const read = await app.fetch(new Request('http://example.test/notes/node'));
    assert.equal(read.status, 200);
    assert.equal(await read.text(), 'milk for node');
    const saved = await app.fetch(new Request('http://example.test/notes/streamed', {
      method: 'PUT',
      body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('in ')); c.enqueue(new TextEncoder().encode('chunks')); c.close(); } }),
      duplex: 'half',
    } as RequestInit));
    assert.equal(await saved.text(), 'saved streamed (9 bytes)');
    const posted = new Request('http://example.test/hello/x', { method: 'POST', body: 'posted' });
    const wagi = await app.fetch(posted);
    assert.match(await wagi.text(), /SERVER_NAME=example\.test[\s\S]*body:\nposted$/);
    // Once the exchange is over, no abort listener of ours stays on the request's signal.
    await new Promise((r) => setImmediate(r));
    assert.equal(getEventListeners(posted.signal, 'abort').length, 0);
    const none = await app.fetch(new Request('http://example.test/elsewhere'));
    assert.equal(none.status, 404);
    assert.ok(none.headers.get('x-request-id'));
  });

  test('the body limit answers 413, as serve does', async () => {
    const small = await loadApp(appDir, { workers: 1, maxBodyBytes: 4 });
    try {
      const res = await small.fetch(new Request('http://example.test/hello/x', { method: 'POST', body: 'too long' }));
      assert.equal(res.status, 413);
      assert.match(await res.text(), /larger than the limit of 4 bytes/);
    } finally {
      await small.close();
    }
  });
});

test('close drains: a request in flight finishes, later ones get 503', async () => {
  const app = await loadApp(appDir, { workers: 1 });
  const inFlight = app.fetch(new Request('http://example.test/hello/slow', { method: 'POST', body: 'x' }));
  const closed = app.close();
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.match(await res.text(), /body:\nx$/);
  assert.equal(await closed, true, 'every request finished within the grace period');
  const late = await app.fetch(new Request('http://example.test/hello/late'));
  assert.equal(late.status, 503);
});

test('loadApp reports a bad app as a WasmletError, printing nothing', async () => {
  await assert.rejects(loadApp(join(work, 'no-such-app')), (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_MANIFEST'
    && /does not exist/.test(err.message));
  await assert.rejects(loadApp(appDir, { workers: 0 }), (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_INVALID_OPTIONS');
});

/** Starts an example server on an ephemeral port; resolves with its base URL once it listens. */
async function startExample(name: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(node, [join(repoRoot, 'examples', name, 'server.ts'), appDir], {
    cwd: repoRoot, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${stderr}`)));
  });
  return { child, url };
}

async function stopExample(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('the examples, as a user runs them', () => {
  test('examples/embed-node-http: the app beside a route of its own; no next, so 404', async () => {
    const { child, url } = await startExample('embed-node-http');
    try {
      assert.equal(await (await fetch(`${url}/health`)).text(), 'ok\n');
      await checkApp(url, 'node-http');
      const none = await fetch(`${url}/elsewhere`);
      assert.equal(none.status, 404);
      assert.equal(await none.text(), 'no route matches /elsewhere\n');
    } finally {
      assert.equal(await stopExample(child), 0);
    }
  });

  test('examples/embed-express: mounted under /wasm; an unrouted path goes to the next middleware', async () => {
    const { child, url } = await startExample('embed-express');
    try {
      assert.match(await (await fetch(`${url}/`)).text(), /an Express app/);
      await checkApp(`${url}/wasm`, 'express');
      const none = await fetch(`${url}/wasm/elsewhere`);
      assert.equal(none.status, 404);
      assert.equal(await none.text(), 'express: nothing at /wasm/elsewhere\n');
    } finally {
      assert.equal(await stopExample(child), 0);
    }
  });

  test('examples/embed-hono: mounted under /wasm through app.fetch, with the client address', async () => {
    const { child, url } = await startExample('embed-hono');
    try {
      assert.match(await (await fetch(`${url}/`)).text(), /a Hono app/);
      assert.match(await (await fetch(`${url}/wasm/hello/x`)).text(), /REMOTE_ADDR=127\.0\.0\.1/);
      await checkApp(`${url}/wasm`, 'hono');
      const none = await fetch(`${url}/wasm/elsewhere`);
      assert.equal(none.status, 404);
      assert.equal(await none.text(), 'no route matches /elsewhere\n');
    } finally {
      assert.equal(await stopExample(child), 0);
    }
  });
});
