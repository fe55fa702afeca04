import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExtismHttp, hostGlob } from './http.ts';

test('hostGlob: * is any run, ? one character, dots literal, whole name, case-insensitive', () => {
  assert.ok(hostGlob('*.example.com').test('api.example.com'));
  assert.ok(hostGlob('*.example.com').test('a.b.example.com'));
  assert.ok(!hostGlob('*.example.com').test('example.com'));
  assert.ok(!hostGlob('example.com').test('exampleXcom'));
  assert.ok(hostGlob('host-?').test('HOST-1'));
  assert.ok(!hostGlob('host-?').test('host-12'));
});

test('ExtismHttp denies by default', () => {
  assert.equal(new ExtismHttp({ allowedHosts: [] }).allows('localhost'), false);
  assert.equal(new ExtismHttp({ allowedHosts: ['*'] }).allows('localhost'), true);
});
