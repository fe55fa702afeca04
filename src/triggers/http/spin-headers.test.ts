import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from './router.ts';
import { isSpinHeader, spinRequestHeaders, withSpinHeaders } from './spin-headers.ts';

function headersFor(route: string, url: string, remote: [string, number] = ['127.0.0.1', 8777]): Record<string, string> {
  const match = Router.build([{ route, component: 'c' }]).match(url);
  assert.ok(match, `${route} matches ${url}`);
  const pairs = spinRequestHeaders({ url, authority: 'fermyon.dev', remoteAddr: remote[0], remotePort: remote[1], tls: true }, match);
  return Object.fromEntries(pairs);
}

// Spin's own cases: crates/trigger-http/src/headers.rs, `test_default_headers`.
test('a wildcard route: the values of Spin test_default_headers', () => {
  assert.deepEqual(headersFor('/foo/...', '/foo/bar?key1=value1&key2=value2'), {
    'spin-path-info': '/bar',
    'spin-full-url': 'https://fermyon.dev/foo/bar?key1=value1&key2=value2',
    'spin-matched-route': '/foo/...',
    'spin-base-path': '/',
    'spin-raw-component-route': '/foo/...',
    'spin-component-route': '/foo',
    'spin-client-addr': '127.0.0.1:8777',
  });
});

// `test_default_headers_with_named_wildcards`.
test('a route with a parameter: its raw value in spin-path-match-<name>', () => {
  const h = headersFor('/foo/:userid/...', '/foo/42/bar?key1=value1&key2=value2');
  assert.equal(h['spin-full-url'], 'https://fermyon.dev/foo/42/bar?key1=value1&key2=value2');
  assert.equal(h['spin-path-info'], '/bar');
  assert.equal(h['spin-matched-route'], '/foo/:userid/...');
  assert.equal(h['spin-raw-component-route'], '/foo/:userid/...');
  assert.equal(h['spin-component-route'], '/foo/:userid');
  assert.equal(h['spin-path-match-userid'], '42');
  const encoded = headersFor('/users/:user_Name', '/users/j%C3%B6rg');
  assert.equal(encoded['spin-path-match-user-name'], 'j%C3%B6rg', 'raw, as routefinder captures it; `_` as `-`');
});

test('spin-path-info keeps a trailing slash and stays percent-encoded; exact routes have none', () => {
  assert.equal(headersFor('/static/...', '/static/a/')['spin-path-info'], '/a/');
  assert.equal(headersFor('/static/...', '/static/')['spin-path-info'], '/');
  assert.equal(headersFor('/static/...', '/static')['spin-path-info'], '');
  assert.equal(headersFor('/static/...', '/static/a%20b')['spin-path-info'], '/a%20b');
  assert.equal(headersFor('/hello', '/hello')['spin-path-info'], '');
});

test('the catch-all and root routes: empty component and matched routes, as Spin computes them', () => {
  const all = headersFor('/...', '/x/y');
  assert.equal(all['spin-component-route'], '');
  assert.equal(all['spin-raw-component-route'], '/...');
  assert.equal(all['spin-matched-route'], '/...');
  assert.equal(all['spin-path-info'], '/x/y');
  const root = headersFor('/', '/');
  assert.equal(root['spin-matched-route'], '', 'the base `/` joined to `/` with one slash dropped');
  assert.equal(root['spin-component-route'], '/');
  const slash = headersFor('/foo/', '/foo');
  assert.equal(slash['spin-matched-route'], '/foo');
  assert.equal(slash['spin-raw-component-route'], '/foo/');
  assert.equal(headersFor('/files/*', '/files/a')['spin-component-route'], '/files/*', 'only `/...` is stripped');
});

test('spin-client-addr brackets IPv6; http without TLS', () => {
  const match = Router.build([{ route: '/...', component: 'c' }]).match('/')!;
  const h = Object.fromEntries(spinRequestHeaders({ url: '/', authority: '[::1]:3000', remoteAddr: '::1', remotePort: 5123 }, match));
  assert.equal(h['spin-client-addr'], '[::1]:5123');
  assert.equal(h['spin-full-url'], 'http://[::1]:3000/');
});

test('a client cannot set the spin-* headers: its copies are dropped, the rest kept in order', () => {
  const client: [string, string][] = [['Host', 'a'], ['Spin-Client-Addr', '6.6.6.6:1'], ['accept', '*/*'], ['spin-path-match-id', 'x'], ['spin-custom', 'kept']];
  const out = withSpinHeaders(client, [['spin-client-addr', '127.0.0.1:9']]);
  assert.deepEqual(out, [['Host', 'a'], ['accept', '*/*'], ['spin-custom', 'kept'], ['spin-client-addr', '127.0.0.1:9']]);
  assert.equal(isSpinHeader('spin-full-url'), true);
  assert.equal(isSpinHeader('spin-custom'), false);
});
