import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgiArgv, cgiEnv, type CgiRequest } from './cgi-env.ts';
import { Router } from './router.ts';

const router = Router.build([
  { route: '/hello/...', component: 'hello' },
  { route: '/users/:user_id/...', component: 'users' },
  { route: '/exact', component: 'exact' },
  { route: '/...', component: 'all' },
]);
const server = { host: '127.0.0.1', port: 3000 };

function request(over: Partial<CgiRequest> = {}): CgiRequest {
  return { method: 'GET', url: '/hello/a%20b/c?x=1&y=2', headers: [['Host', 'example.test:8080']], remoteAddr: '10.0.0.7',
    remotePort: 51000, httpVersion: '1.1', ...over };
}

function envFor(req: CgiRequest): Record<string, string> {
  const m = router.match(req.url);
  assert.ok(m);
  return cgiEnv(req, m, server);
}

test('RFC 3875 variables for a wildcard route', () => {
  const env = envFor(request({ method: 'post', headers: [['Host', 'example.test:8080'], ['Content-Type', 'text/plain'], ['Content-Length', '5']], bodyLength: 5 }));
  const expected: Record<string, string> = {
    AUTH_TYPE: '',
    CONTENT_LENGTH: '5',
    CONTENT_TYPE: 'text/plain',
    GATEWAY_INTERFACE: 'CGI/1.1',
    PATH_INFO: '/a b/c',
    PATH_TRANSLATED: '/a b/c',
    QUERY_STRING: 'x=1&y=2',
    REMOTE_ADDR: '10.0.0.7',
    REMOTE_HOST: '10.0.0.7',
    REMOTE_USER: '',
    REQUEST_METHOD: 'POST',
    SCRIPT_NAME: '/hello',
    SERVER_NAME: 'example.test',
    SERVER_PORT: '8080',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_SOFTWARE: 'WAGI/1',
    X_FULL_URL: 'http://example.test:8080/hello/a%20b/c?x=1&y=2',
    X_RAW_PATH_INFO: '/a%20b/c',
    X_MATCHED_ROUTE: '/hello/...',
    X_COMPONENT_ROUTE: '/hello',
    X_RAW_COMPONENT_ROUTE: '/hello/...',
    X_BASE_PATH: '/',
    X_CLIENT_ADDR: '10.0.0.7:51000',
    HTTP_HOST: 'example.test:8080',
    HTTP_CONTENT_TYPE: 'text/plain',
    HTTP_CONTENT_LENGTH: '5',
  };
  assert.deepEqual(env, expected);
});

test('exact route, no Host header, no query, no body', () => {
  const env = envFor(request({ url: '/exact', headers: [], remotePort: undefined, httpVersion: 'HTTP/1.0' }));
  assert.equal(env.PATH_INFO, '');
  assert.equal(env.SCRIPT_NAME, '/exact');
  assert.equal(env.QUERY_STRING, '');
  assert.equal(env.CONTENT_LENGTH, '0');
  assert.equal(env.CONTENT_TYPE, '');
  assert.equal(env.SERVER_NAME, '127.0.0.1');
  assert.equal(env.SERVER_PORT, '3000');
  assert.equal(env.SERVER_PROTOCOL, 'HTTP/1.0');
  assert.equal(env.X_FULL_URL, 'http://127.0.0.1:3000/exact');
  assert.equal(env.X_CLIENT_ADDR, undefined);
  assert.equal(env.HTTP_HOST, undefined);
});

test('route parameters become X_PATH_MATCH_<NAME>, decoded; SCRIPT_NAME is the matched path', () => {
  const env = envFor(request({ url: '/users/j%C3%B6rg/settings' }));
  assert.equal(env.X_PATH_MATCH_USER_ID, 'jörg');
  assert.equal(env.SCRIPT_NAME, '/users/jörg');
  assert.equal(env.PATH_INFO, '/settings');
  assert.equal(env.X_COMPONENT_ROUTE, '/users/:user_id');
  assert.equal(env.X_MATCHED_ROUTE, '/users/:user_id/...');
});

test('catch-all route: SCRIPT_NAME empty, PATH_INFO the whole path', () => {
  const env = envFor(request({ url: '/' }));
  assert.equal(env.SCRIPT_NAME, '');
  assert.equal(env.PATH_INFO, '/');
  assert.equal(env.X_COMPONENT_ROUTE, '/');
});

test('header mapping table: names, repeats, dropped fields, httpoxy', () => {
  const cases: { headers: [string, string][]; expect: Record<string, string | undefined> }[] = [
    { headers: [['X-Custom-Thing', 'v']], expect: { HTTP_X_CUSTOM_THING: 'v' } },
    { headers: [['accept', 'a'], ['Accept', 'b']], expect: { HTTP_ACCEPT: 'a, b' } },
    { headers: [['Cookie', 'a=1'], ['cookie', 'b=2']], expect: { HTTP_COOKIE: 'a=1; b=2' } },
    { headers: [['Proxy', 'http://evil:8080']], expect: { HTTP_PROXY: undefined } },
    { headers: [['Authorization', 'Basic eDp5']], expect: { HTTP_AUTHORIZATION: undefined, AUTH_TYPE: '' } },
    { headers: [['Proxy-Authorization', 'x']], expect: { HTTP_PROXY_AUTHORIZATION: undefined } },
    { headers: [['Connection', 'keep-alive']], expect: { HTTP_CONNECTION: undefined } },
    { headers: [['X_Forwarded_For', 'spoof'], ['X-Forwarded-For', '1.2.3.4']], expect: { HTTP_X_FORWARDED_FOR: '1.2.3.4' } },
    { headers: [['X-Trim', '  padded  ']], expect: { HTTP_X_TRIM: 'padded' } },
  ];
  for (const { headers, expect } of cases) {
    const env = envFor(request({ headers }));
    for (const [k, v] of Object.entries(expect)) assert.equal(env[k], v, `${JSON.stringify(headers)} -> ${k}`);
  }
});

test('IPv6 client and Host, TLS scheme, CONTENT_LENGTH from the header', () => {
  const m = router.match('/exact');
  assert.ok(m);
  const env = cgiEnv(request({ url: '/exact', headers: [['Host', '[::1]:8443'], ['Content-Length', '12']], remoteAddr: '::1', remotePort: 4000 }),
    m, { host: '::1', port: 8443, tls: true, software: 'wasmlet/0.1.0' });
  assert.equal(env.SERVER_NAME, '[::1]');
  assert.equal(env.SERVER_PORT, '8443');
  assert.equal(env.X_CLIENT_ADDR, '[::1]:4000');
  assert.equal(env.X_FULL_URL, 'https://[::1]:8443/exact');
  assert.equal(env.CONTENT_LENGTH, '12');
  assert.equal(env.SERVER_SOFTWARE, 'wasmlet/0.1.0');
});

test('cgiArgv follows Spin: ${SCRIPT_NAME} is the raw path, ${ARGS} the query with & as spaces', () => {
  assert.deepEqual(cgiArgv('/hello/x?a=1&b=2'), ['/hello/x', 'a=1', 'b=2']);
  assert.deepEqual(cgiArgv('/hello'), ['/hello', '']);
  assert.deepEqual(cgiArgv('/p?q', 'prog --flag ${ARGS}'), ['prog', '--flag', 'q']);
  assert.deepEqual(cgiArgv('/$&?x', '${SCRIPT_NAME}'), ['/$&']); // no replacement patterns
});
