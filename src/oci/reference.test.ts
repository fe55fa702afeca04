import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReference, isLoopbackRegistry, parseReference } from './reference.ts';

test('parses registry, repository, tag and digest as docker does', () => {
  assert.deepEqual(parseReference('127.0.0.1:5000/demo/hello:v1'), { registry: '127.0.0.1:5000', repository: 'demo/hello', tag: 'v1' });
  assert.deepEqual(parseReference('ghcr.io/a/b'), { registry: 'ghcr.io', repository: 'a/b', tag: 'latest' });
  assert.deepEqual(parseReference('localhost/app'), { registry: 'localhost', repository: 'app', tag: 'latest' });
  assert.deepEqual(parseReference('nginx'), { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest' });
  assert.deepEqual(parseReference('docker.io/fermyon/spin:1.0'), { registry: 'registry-1.docker.io', repository: 'fermyon/spin', tag: '1.0' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(`[::1]:5000/x@${d}`), { registry: '[::1]:5000', repository: 'x', digest: d });
  assert.equal(formatReference(parseReference(`h.io:1/x/y:t@${d}`)), `h.io:1/x/y:t@${d}`);
});

test('malformed references are usage errors saying the expected form', () => {
  for (const bad of ['127.0.0.1:5000/Demo/hello', 'h.io/x:bad tag', 'h.io/x@sha256:abc', 'h.io/', 'h.io/a//b']) {
    assert.throws(() => parseReference(bad), (e: Error & { code?: string }) => e.code === 'WASMLET_ERR_REFERENCE' && /REGISTRY\/REPOSITORY/.test(e.message), bad);
  }
});

test('loopback registries are 127/8, localhost and [::1] only', () => {
  for (const r of ['127.0.0.1:5000', '127.1.2.3', 'localhost:5000', 'localhost', '[::1]:5000']) assert.equal(isLoopbackRegistry(r), true, r);
  for (const r of ['10.0.0.1:5000', 'localhost.example.com', 'ghcr.io', '127.0.0.1.nip.io', '[::2]:5000']) assert.equal(isLoopbackRegistry(r), false, r);
});
