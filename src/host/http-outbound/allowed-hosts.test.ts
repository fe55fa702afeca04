import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowsSelfRequests, isOutboundAllowed, parseAllowedHost, parseAllowedHosts, tryParseAllowedHost, type AllowedHost,
} from './allowed-hosts.ts';
import { isServiceChainingDomain, serviceChainingTarget } from './service-chaining.ts';
import { ALLOW_CASES, INVALID_ENTRIES } from './allowed-hosts.case.ts';

for (const { allowed, url, expected, from } of ALLOW_CASES) {
  test(`[${from}] ${JSON.stringify(allowed)} ${expected ? 'allows' : 'denies'} ${url}`, () => {
    const u = new URL(url);
    const target = { scheme: u.protocol.slice(0, -1), host: u.hostname, ...(u.port ? { port: Number(u.port) } : {}) };
    assert.equal(isOutboundAllowed(parseAllowedHosts(allowed), target), expected);
  });
}

for (const [entry, reason] of INVALID_ENTRIES) {
  test(`refuses ${JSON.stringify(entry)}`, () => {
    const r = tryParseAllowedHost(entry);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, reason);
    assert.throws(() => parseAllowedHosts(['https://fine.example', entry]), (err: { code?: string; blame?: string; message?: string }) =>
      err.code === 'WASMLET_ERR_ALLOWED_HOST_INVALID' && err.blame === 'user'
      && err.message === `allowed_outbound_hosts entry ${JSON.stringify(entry)} is invalid: ${(r as { reason: string }).reason}`);
  });
}

// Spin's parse tests (allowed_hosts.rs `mod test`), compared structurally.
const parsed: [entry: string, expected: Omit<AllowedHost, 'source'>][] = [
  ['http://spin.fermyon.dev', { scheme: 'http', host: { type: 'name', name: 'spin.fermyon.dev' }, port: { min: 80, max: 80 } }],
  ['http://spin.fermyon.dev/', { scheme: 'http', host: { type: 'name', name: 'spin.fermyon.dev' }, port: { min: 80, max: 80 } }],
  ['https://spin.fermyon.dev', { scheme: 'https', host: { type: 'name', name: 'spin.fermyon.dev' }, port: { min: 443, max: 443 } }],
  ['http://spin.fermyon.dev:4444/', { scheme: 'http', host: { type: 'name', name: 'spin.fermyon.dev' }, port: { min: 4444, max: 4444 } }],
  ['http://spin.fermyon.dev:4444..5555', { scheme: 'http', host: { type: 'name', name: 'spin.fermyon.dev' }, port: { min: 4444, max: 5554 } }],
  ['*://spin.fermyon.dev:7777', { scheme: '*', host: { type: 'name', name: 'spin.fermyon.dev' }, port: { min: 7777, max: 7777 } }],
  ['http://self', { scheme: 'http', host: { type: 'self' }, port: { min: 80, max: 80 } }],
  ['http://localhost:3001', { scheme: 'http', host: { type: 'name', name: 'localhost' }, port: { min: 3001, max: 3001 } }],
  ['http://*.example.com', { scheme: 'http', host: { type: 'subdomain', suffix: '.example.com' }, port: { min: 80, max: 80 } }],
  ['http://192.168.1.1:3002', { scheme: 'http', host: { type: 'name', name: '192.168.1.1' }, port: { min: 3002, max: 3002 } }],
  ['http://[::1]:8001', { scheme: 'http', host: { type: 'name', name: '[::1]' }, port: { min: 8001, max: 8001 } }],
  ['*://127.0.0.0/24:80', { scheme: '*', host: { type: 'cidr', bytes: [127, 0, 0, 0], prefix: 24 }, port: { min: 80, max: 80 } }],
  ['*://ff00::/8:80', { scheme: '*', host: { type: 'cidr', bytes: [0xff, ...Array<number>(15).fill(0)], prefix: 8 }, port: { min: 80, max: 80 } }],
  ['*://*:*', { scheme: '*', host: { type: 'any' }, port: '*' }],
  // Service chaining grants are ordinary host patterns (Spin: `HostConfig::AnySubdomain` / `List`).
  ['http://*.spin.internal', { scheme: 'http', host: { type: 'subdomain', suffix: '.spin.internal' }, port: { min: 80, max: 80 } }],
  ['http://Backend.spin.internal', { scheme: 'http', host: { type: 'name', name: 'backend.spin.internal' }, port: { min: 80, max: 80 } }],
];
for (const [entry, expected] of parsed) {
  test(`parses ${entry}`, () => {
    assert.deepEqual(parseAllowedHost(entry), { ...expected, source: entry });
  });
}

test('the parsed form is plain data: a structured clone matches the same way', () => {
  const allowed = parseAllowedHosts(['*://10.0.0.0/8:*', 'https://*.example.com', 'http://localhost:8000..8010']);
  const cloned = structuredClone(allowed);
  assert.deepEqual(cloned, allowed);
  assert.equal(isOutboundAllowed(cloned, { scheme: 'http', host: '10.9.9.9', port: 1 }), true);
  assert.equal(isOutboundAllowed(cloned, { scheme: 'https', host: 'a.example.com' }), true);
  assert.equal(isOutboundAllowed(cloned, { scheme: 'http', host: 'localhost', port: 8010 }), false);
});

test('self requests: granted by a self or `*` host with an http(s) or `*` scheme, any port', () => {
  const grants = (entries: string[]) => allowsSelfRequests(parseAllowedHosts(entries));
  assert.equal(grants([]), false);
  assert.equal(grants(['http://self']), true);
  assert.equal(grants(['https://self.alt']), true);
  assert.equal(grants(['http://self:8080']), true);
  assert.equal(grants(['*://*:*']), true);
  assert.equal(grants(['http://*']), true);
  assert.equal(grants(['redis://self']), false);
  assert.equal(grants(['http://127.0.0.1:*', 'http://localhost:*']), false);
  // As an absolute URL, self.alt is matched like any host (the outgoing handler routes it first).
  assert.equal(isOutboundAllowed(parseAllowedHosts(['http://self']), { scheme: 'http', host: 'self.alt' }), false);
});

test('service chaining: the target component of a host, as Spin\'s parse_service_chaining_host reads it', () => {
  assert.equal(serviceChainingTarget('hello.spin.internal'), 'hello');
  assert.equal(serviceChainingTarget('Hello.Spin.Internal:8080'), 'hello');
  assert.equal(serviceChainingTarget('a.b.spin.internal'), undefined);
  assert.equal(serviceChainingTarget('spin.internal'), undefined);
  assert.equal(serviceChainingTarget('hello.spin.internal.example.com'), undefined);
  assert.equal(serviceChainingTarget('hello.example.com'), undefined);
  assert.equal(isServiceChainingDomain('a.b.spin.internal'), true);
  assert.equal(isServiceChainingDomain('spin.internal.'), true);
  assert.equal(isServiceChainingDomain('spin.internal.example.com'), false);
});

test('service chaining: `*.spin.internal` grants every component, a named host only that one', () => {
  const wildcard = parseAllowedHosts(['http://*.spin.internal']);
  const named = parseAllowedHosts(['http://hello.spin.internal']);
  assert.equal(isOutboundAllowed(wildcard, { scheme: 'http', host: 'hello.spin.internal' }), true);
  assert.equal(isOutboundAllowed(wildcard, { scheme: 'http', host: 'other.spin.internal' }), true);
  assert.equal(isOutboundAllowed(named, { scheme: 'http', host: 'hello.spin.internal' }), true);
  assert.equal(isOutboundAllowed(named, { scheme: 'http', host: 'other.spin.internal' }), false);
  assert.equal(isOutboundAllowed(named, { scheme: 'https', host: 'hello.spin.internal' }), false);
  assert.equal(isOutboundAllowed(named, { scheme: 'http', host: 'hello.spin.internal', port: 8080 }), false);
});
