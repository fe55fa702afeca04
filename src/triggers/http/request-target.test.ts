import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAbsoluteTarget } from './request-target.ts';

test('an absolute-form target gives its origin form and host (RFC 9112 §3.2.2)', () => {
  assert.deepEqual(parseAbsoluteTarget('http://example.com/hello/x?q=1'), { originForm: '/hello/x?q=1', host: 'example.com' });
  assert.deepEqual(parseAbsoluteTarget('HTTPS://Example.com:8443/a%20b'), { originForm: '/a%20b', host: 'Example.com:8443' });
  assert.deepEqual(parseAbsoluteTarget('http://example.com'), { originForm: '/', host: 'example.com' });
  assert.deepEqual(parseAbsoluteTarget('http://example.com?x=1'), { originForm: '/?x=1', host: 'example.com' });
  assert.deepEqual(parseAbsoluteTarget('http://user:pw@[::1]:80/p'), { originForm: '/p', host: '[::1]:80' });
  assert.deepEqual(parseAbsoluteTarget('http://h/a/../b'), { originForm: '/a/../b', host: 'h' }, 'routed as the same origin-form bytes');
});

test('other targets are left alone', () => {
  for (const t of ['/hello', '*', 'ftp://example.com/x', 'http:/x', 'http:///x', 'example.com:443', '']) {
    assert.equal(parseAbsoluteTarget(t), undefined, t);
  }
});
