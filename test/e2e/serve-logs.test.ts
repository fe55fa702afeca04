// The access log tells the truth about what the client got, driven with raw sockets: a body the
// client cut short, requests Node's parser refuses (no Host, garbage), the rest of a large body
// after a 404, and an absolute-form request target (RFC 9112 §3.2.2).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import type { RunningHttpServer } from '../../src/triggers/http/server.ts';
import { buildC } from '../support/fixtures.ts';

/**
 * Connects, writes `head`, then (after 50 ms, so the server has seen it) `more` if given, and
 * half-closes when `end`; resolves with everything the server sent before closing.
 */
function raw(port: number, head: string, opts: { more?: string; end?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      if (opts.more !== undefined || opts.end) {
        setTimeout(() => {
          if (opts.more !== undefined) socket.write(opts.more);
          if (opts.end) socket.end();
        }, 50);
      }
    });
    let out = '';
    socket.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

const requestIdOf = (response: string) => /^X-Request-Id: (\S+)\r$/mi.exec(response)?.[1];

describe('access lines and statuses for requests cut short or refused by the parser', () => {
  let server: RunningHttpServer;
  let dir: string;
  const lines: string[] = [];
  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  /** The access line of request `id` (waits a moment: the line is written when the response closes). */
  const accessOf = async (id: string | undefined) => {
    assert.ok(id, 'the response carries an X-Request-Id');
    for (let i = 0; i < 50; i++) {
      const found = logged().filter((l) => l.msg === 'request' && l.requestId === id);
      if (found.length > 0) { assert.equal(found.length, 1); return found[0]!; }
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`no access line for ${id}:\n${lines.join('')}`);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasmlet-serve-logs-'));
    copyFileSync(buildC('examples/hello/hello.c'), join(dir, 'hello.wasm'));
    writeFileSync(join(dir, 'wasmlet.toml'), [
      'spin_manifest_version = 2', '[application]', 'name = "logs"',
      '[[trigger.http]]', 'route = "/hello/..."', 'component = "hello"',
      '[component.hello]', 'source = "hello.wasm"', '',
    ].join('\n'));
    server = await startHttpServer({
      app: await loadApp(dir), host: '127.0.0.1', port: 0, workers: 1,
      log: createServerLog('json', (line) => lines.push(line)),
    });
  });
  after(async () => {
    await server.close(2000);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a body the client cut short is logged with the 400 the client got, under its request id', async () => {
    const response = await raw(server.port, 'POST /hello/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc', { end: true });
    assert.match(response, /^HTTP\/1\.1 400 /);
    const line = await accessOf(requestIdOf(response));
    assert.equal(line.status, 400);
    assert.equal(line.route, '/hello/...');
    assert.match(String(line.error), /WASMLET_ERR_ABORTED/);
  });

  test('an HTTP/1.1 request without Host gets a 400 with a request id and an access line; HTTP/1.0 needs none', async () => {
    const response = await raw(server.port, 'GET /hello/x HTTP/1.1\r\n\r\n');
    assert.match(response, /^HTTP\/1\.1 400 /);
    const line = await accessOf(requestIdOf(response));
    assert.equal(line.status, 400);
    assert.equal(line.path, '/hello/x');
    assert.match(String(line.error), /no Host header/);
    assert.match(await raw(server.port, 'GET /hello/x HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 /);
  });

  test('a request Node\'s parser refuses gets a 400 with a request id and an access line, not an error event', async () => {
    const response = await raw(server.port, 'GARBAGE\r\n\r\n');
    assert.match(response, /^HTTP\/1\.1 400 /);
    const line = await accessOf(requestIdOf(response));
    assert.equal(line.status, 400);
    assert.match(String(line.error), /malformed request \(HPE_INVALID_METHOD\)/);
    assert.deepEqual(logged().filter((l) => l.level === 'error'), []);
  });

  test('the rest of a large body sent to an unrouted path: one 404, one access line, no error line', async () => {
    const before = lines.length;
    const response = await raw(server.port, `POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 3000000\r\n\r\n${'x'.repeat(100_000)}`,
      { more: 'y'.repeat(200_000), end: true });
    assert.match(response, /^HTTP\/1\.1 404 /);
    assert.equal(response.match(/HTTP\/1\.1 \d{3} /g)?.length, 1, 'no second response after the 404');
    const line = await accessOf(requestIdOf(response));
    assert.equal(line.status, 404);
    await new Promise((r) => setTimeout(r, 100)); // the connection's end has been seen
    const added = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(added.map((l) => [l.msg, l.status]), [['request', 404]], lines.slice(before).join(''));
  });

  test('an absolute-form target is routed by its path, its authority replacing Host (RFC 9112 §3.2.2)', async () => {
    const response = await raw(server.port, 'GET http://example.com:8080/hello/x?q=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n');
    assert.match(response, /^HTTP\/1\.1 200 /);
    assert.match(response, /^PATH_INFO=\/x$/m);
    assert.match(response, /^QUERY_STRING=q=1$/m);
    assert.match(response, /^SERVER_NAME=example\.com$/m);
    const line = await accessOf(requestIdOf(response));
    assert.equal(line.path, '/hello/x?q=1');
    assert.equal(line.route, '/hello/...');
  });
});
