import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, Router } from './router.ts';

const routes = [
  { route: '/...', component: 'catch-all' },
  { route: '/static/...', component: 'static' },
  { route: '/static/special', component: 'special' },
  { route: '/users/:id', component: 'user' },
  { route: '/users/me', component: 'me' },
  { route: '/users/...', component: 'users-any' },
  { route: '/users/:id/posts/:post', component: 'post' },
  { route: '/one/...', component: 'one' },
  { route: '/one/two/...', component: 'one-two' },
  { route: '/one/two/three/...', component: 'one-two-three' },
  { route: '/a/:x/c', component: 'a-x-c' },
  { route: '/a/b/...', component: 'a-b-any' },
  { route: '/exact', component: 'exact' },
  { route: '/', component: 'root' },
];

test('precedence: the most specific route wins (Spin/routefinder order)', () => {
  const r = Router.build(routes);
  const table: [string, string][] = [
    ['/', 'root'], // exact `/` beats `/...`
    ['/nothing/here', 'catch-all'],
    ['/static', 'static'], // `/static/...` matches its own prefix
    ['/static/x.css', 'static'],
    ['/static/special', 'special'], // exact beats wildcard
    ['/static/special/more', 'static'],
    ['/users/me', 'me'], // literal beats param
    ['/users/42', 'user'], // param beats wildcard
    ['/users', 'users-any'],
    ['/users/42/x', 'users-any'],
    ['/users/42/posts/7', 'post'],
    ['/one/two/three/four', 'one-two-three'], // longer prefix wins
    ['/one/two/x', 'one-two'],
    ['/one/x', 'one'],
    ['/a/b/c', 'a-b-any'], // a literal earlier in the path beats a param there
    ['/a/z/c', 'a-x-c'],
    ['/exact/', 'exact'], // trailing slash ignored
    ['/exact/more', 'catch-all'],
  ];
  for (const [path, component] of table) {
    assert.equal(r.match(path)?.component, component, path);
  }
});

test('precedence does not depend on declaration order', () => {
  const forward = Router.build(routes);
  const reversed = Router.build([...routes].reverse());
  for (const path of ['/', '/users/me', '/users/1', '/users', '/one/two/three/x', '/a/b/c', '/static/special']) {
    assert.equal(reversed.match(path)?.component, forward.match(path)?.component, path);
  }
});

test('no match gives null', () => {
  const r = Router.build([{ route: '/api/...', component: 'api' }, { route: '/x', component: 'x' }]);
  assert.equal(r.match('/'), null);
  assert.equal(r.match('/apix'), null);
  assert.equal(r.match('/x/y'), null);
});

test('trailing (PATH_INFO) and matchedPrefix, with Spin trailing-slash rules', () => {
  const r = Router.build([{ route: '/test/...', component: 't' }, { route: '/...', component: 'all' }, { route: '/e', component: 'e' }]);
  const cases: [string, string, string, string][] = [
    // path, trailing, matchedPrefix, matchedPath
    ['/test', '', '/test', '/test'],
    ['/test/', '/', '/test', '/test'],
    ['/test/hello', '/hello', '/test', '/test'],
    ['/test/hello/', '/hello/', '/test', '/test'],
    ['/test/a%20b/c?q=1', '/a%20b/c', '/test', '/test'],
    ['/1/2/3', '/1/2/3', '', ''],
    ['/', '/', '', ''],
    ['/e', '', '/e', '/e'],
  ];
  for (const [path, trailing, prefix, matchedPath] of cases) {
    const m = r.match(path);
    assert.ok(m, path);
    assert.equal(m.trailing, trailing, `trailing of ${path}`);
    assert.equal(m.matchedPrefix, prefix, `prefix of ${path}`);
    assert.equal(m.matchedPath, matchedPath, `matchedPath of ${path}`);
  }
});

test('params are captured and percent-decoded', () => {
  const r = Router.build([
    { route: '/users/:id/...', component: 'u' },
    { route: '/files/:name', component: 'f' },
  ]);
  const m = r.match('/users/j%C3%B6rg/posts/1');
  assert.deepEqual(m?.params, { id: 'jörg' });
  assert.equal(m?.trailing, '/posts/1');
  assert.equal(m?.matchedPath, '/users/j%C3%B6rg');
  assert.equal(m?.matchedPrefix, '/users/:id');
  assert.deepEqual(r.match('/files/a%2Fb')?.params, { name: 'a/b' }); // an encoded slash stays in one segment
  assert.deepEqual(r.match('/files/100%')?.params, { name: '100%' }); // malformed escape kept raw
  assert.equal(r.match('/files/'), null); // a param needs a non-empty segment
});

test('backtracking: a literal branch that fails falls back to the param branch', () => {
  const r = Router.build([{ route: '/a/b/c', component: 'abc' }, { route: '/a/:x/d', component: 'axd' }]);
  assert.equal(r.match('/a/b/d')?.component, 'axd');
  assert.deepEqual(r.match('/a/b/d')?.params, { x: 'b' });
  assert.equal(r.match('/a/b/c')?.component, 'abc');
});

test('literal segments match their percent-encoded form', () => {
  const r = Router.build([{ route: '/café', component: 'h' }]);
  assert.equal(r.match('/caf%C3%A9')?.component, 'h');
  assert.equal(r.match('/café')?.component, 'h');
});

test('duplicate routes are rejected, naming both components', () => {
  for (const [a, b] of [['/a', '/a/'], ['/x/:id', '/x/:other'], ['/s/...', '/s/*'], ['/...', '/*']] as const) {
    assert.throws(() => Router.build([{ route: a, component: 'first' }, { route: b, component: 'second' }]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'WASMLET_ERR_ROUTE');
      assert.match(err.message, /first/);
      assert.match(err.message, /second/);
      return true;
    });
  }
  // Not duplicates: an exact route and the wildcard under it.
  assert.doesNotThrow(() => Router.build([{ route: '/a', component: 'x' }, { route: '/a/...', component: 'y' }]));
});

test('invalid routes are rejected with the reason', () => {
  const bad: [string, RegExp][] = [
    ['hello', /must start with `\/`/],
    ['/a/.../b', /only be the last segment/],
    ['/a//b', /empty segment/],
    ['/a/:', /needs a name/],
    ['/a/:x/:x', /appears twice/],
    ['/a/b...', /wildcard is a whole segment/],
    ['/a?b', /may not contain/],
  ];
  for (const [route, why] of bad) {
    assert.throws(() => parseRoute(route), (err: Error & { code?: string }) => err.code === 'WASMLET_ERR_ROUTE' && why.test(err.message), route);
  }
  assert.deepEqual(parseRoute('/users/:id/...'), { segments: ['users', { param: 'id' }], wildcard: true });
  assert.deepEqual(parseRoute('/'), { segments: [], wildcard: false });
});
