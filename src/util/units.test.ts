import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseSize } from './units.ts';

test('parseSize reads binary and decimal units and plain bytes', () => {
  assert.equal(parseSize('64MiB'), 64 * 1024 * 1024);
  assert.equal(parseSize('512kib'), 512 * 1024);
  assert.equal(parseSize('1GiB'), 1024 ** 3);
  assert.equal(parseSize('1.5KiB'), 1536);
  assert.equal(parseSize('2MB'), 2_000_000);
  assert.equal(parseSize('3KB'), 3000);
  assert.equal(parseSize('1GB'), 1e9);
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('100B'), 100);
});

test('parseSize rejects what it cannot read, naming the input', () => {
  for (const bad of ['', 'MiB', '12XB', '-1MiB', '1 2', 'lots']) {
    assert.throws(() => parseSize(bad), (err: Error & { code?: string }) =>
      err.code === 'WASMLET_ERR_INVALID_SIZE' && err.message.includes(`'${bad}'`));
  }
});

test('parseDuration reads ms, s, m and h', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('1h'), 3_600_000);
});

test('parseDuration requires a unit and rejects nonsense', () => {
  for (const bad of ['5', '', 's', '2 days', '-1s', '1000000h']) {
    assert.throws(() => parseDuration(bad), { code: 'WASMLET_ERR_INVALID_DURATION' });
  }
});
