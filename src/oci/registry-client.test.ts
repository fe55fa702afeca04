// The bearer token flow (distribution token spec) against a small in-process registry: 401 with
// `WWW-Authenticate: Bearer realm,service,scope`, a token endpoint that checks Basic credentials,
// then the retried request carries the token. (The docker-registry tests cover Basic auth.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from './digest.ts';
import { RegistryClient } from './registry-client.ts';

async function fakeRegistry(blob: Buffer) {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search} ${req.headers.authorization ?? '-'}`);
    if (url.pathname === '/token') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`;
      if (!ok) { res.writeHead(401).end(); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `tok-${url.searchParams.get('scope')}` }));
      return;
    }
    if (req.headers.authorization !== 'Bearer tok-repository:demo/app:pull') {
      const { port } = server.address() as { port: number };
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="fake",scope="repository:demo/app:pull"` }).end();
      return;
    }
    res.writeHead(200, { 'content-length': blob.length }).end(blob);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: `127.0.0.1:${(server.address() as { port: number }).port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

test('bearer flow: 401 challenge -> token from the realm with basic credentials -> retried with the token', async () => {
  const blob = Buffer.from('some layer bytes');
  const reg = await fakeRegistry(blob);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bearer-'));
  try {
    const client = new RegistryClient(reg.host, 'demo/app', { credentials: { username: 'u', password: 'p' } });
    const desc = { mediaType: 'application/wasm', digest: digestOf(blob), size: blob.length };
    await client.pullBlob(desc, join(dir, 'b'), 'layer 0');
    assert.deepEqual(readFileSync(join(dir, 'b')), blob);
    assert.deepEqual(reg.seen.map((s) => s.split(' ').slice(0, 2).join(' ')), [
      `GET /v2/demo/app/blobs/${desc.digest}`, 'GET /token?service=fake&scope=repository%3Ademo%2Fapp%3Apull', `GET /v2/demo/app/blobs/${desc.digest}`,
    ]);
    assert.ok(reg.seen[2]!.endsWith('Bearer tok-repository:demo/app:pull'));
    // The token is reused: the next request goes straight through.
    await client.pullBlob(desc, join(dir, 'c'), 'layer 0');
    assert.equal(reg.seen.length, 4);

    // Wrong credentials: the token endpoint refuses, and the error says how to log in.
    const bad = new RegistryClient(reg.host, 'demo/app', { credentials: { username: 'u', password: 'wrong' } });
    await assert.rejects(bad.pullBlob(desc, join(dir, 'd'), 'layer 0'), (e: Error & { code?: string }) =>
      e.code === 'WASMLET_ERR_REGISTRY_AUTH' && /credentials of user 'u'.*wasmlet registry login/.test(e.message));
    // A digest that does not match: refused, and no file (not even a partial one) is left.
    await assert.rejects(client.pullBlob({ ...desc, digest: digestOf('other') }, join(dir, 'e'), 'layer 3 (application/wasm)'),
      (e: Error & { code?: string }) => e.code === 'WASMLET_ERR_DIGEST_MISMATCH' && e.message.includes(`expected ${digestOf('other')}, got ${desc.digest}`) && e.message.startsWith('layer 3'));
    assert.equal(existsSync(join(dir, 'e')), false);
    assert.deepEqual(readdirSync(dir).sort(), ['b', 'c']);
  } finally {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreachable registry is a clear error', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r)); // nothing listens there now
  const client = new RegistryClient(`127.0.0.1:${port}`, 'x');
  await assert.rejects(client.ping(), (e: Error & { code?: string }) => e.code === 'WASMLET_ERR_REGISTRY' && /cannot reach registry 127\.0\.0\.1:\d+ .*ECONNREFUSED — is it running/.test(e.message));
});
