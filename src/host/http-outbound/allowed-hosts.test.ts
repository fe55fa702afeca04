import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOutboundAllowed, parseAllowedHosts } from './allowed-hosts.ts';

const cases: [entries: string[], url: string, allowed: boolean][] = [
  [[], 'https://api.example.com/', false],
  [['https://api.example.com'], 'https://api.example.com/x', true],
  [['https://api.example.com'], 'https://api.example.com:443/x', true],
  [['https://api.example.com'], 'https://api.example.com:8443/x', false],
  [['https://api.example.com'], 'http://api.example.com/x', false],
  [['https://api.example.com'], 'https://other.example.com/', false],
  [['https://API.Example.com'], 'https://api.example.com/', true],
  [['https://*.example.com'], 'https://a.example.com/', true],
  [['https://*.example.com'], 'https://a.b.example.com/', true],
  [['https://*.example.com'], 'https://example.com/', false],
  [['https://*.example.com'], 'https://evilexample.com/', false],
  [['https://*.example.com:443'], 'https://a.example.com/', true],
  [['https://*.example.com:443'], 'https://a.example.com:444/', false],
  [['http://127.0.0.1:*'], 'http://127.0.0.1:31337/', true],
  [['http://127.0.0.1:*'], 'http://127.0.0.1/', true],
  [['http://127.0.0.1:*'], 'https://127.0.0.1:31337/', false],
  [['http://127.0.0.1:8080'], 'http://127.0.0.1:8081/', false],
  [['http://localhost:3000'], 'http://localhost:3000/a?b', true],
  [['*://*:*'], 'https://anything.example.org:1234/', true],
  [['*://*:*'], 'http://10.0.0.1/', true],
  [['*://example.com'], 'http://example.com/', true],
  [['*://example.com'], 'https://example.com/', true],
  [['*://example.com'], 'https://example.com:80/', false],
  [['https://*'], 'https://x.y/', true],
  [['https://*'], 'http://x.y/', false],
  [['http://[::1]:8080'], 'http://[::1]:8080/', true],
  [['https://a.com', 'http://b.com:81'], 'http://b.com:81/', true],
  [['https://a.com', 'http://b.com:81'], 'http://a.com/', false],
];

for (const [entries, url, expected] of cases) {
  test(`${JSON.stringify(entries)} ${expected ? 'allows' : 'denies'} ${url}`, () => {
    const u = new URL(url);
    const target = { scheme: u.protocol.slice(0, -1), host: u.hostname, ...(u.port ? { port: Number(u.port) } : {}) };
    assert.equal(isOutboundAllowed(parseAllowedHosts(entries), target), expected);
  });
}

for (const bad of ['example.com', 'https://example.com/path', 'https://ex*.com', 'https://example.com:99999', 'https://example.com:abc', 'ftp://example.com', 'https://*.*.com']) {
  test(`rejects invalid entry ${bad}`, () => {
    assert.throws(() => parseAllowedHosts([bad]), { code: 'WASMLET_ERR_ALLOWED_HOST_INVALID', blame: 'user' });
  });
}
