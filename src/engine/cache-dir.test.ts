import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir, fallbackCacheDir } from './cache-dir.ts';

test('defaultCacheDir: $WASMLET_CACHE_DIR wins, else <base>/.wasmlet/cache (base default: current dir)', () => {
  assert.equal(defaultCacheDir('/apps/x', { WASMLET_CACHE_DIR: '/var/cache/w' }), '/var/cache/w');
  assert.equal(defaultCacheDir('/apps/x', {}), join('/apps/x', '.wasmlet', 'cache'));
  assert.equal(defaultCacheDir(undefined, {}), join('.wasmlet', 'cache'));
  // An empty variable is unset (it would otherwise put the cache in the current directory's root).
  assert.equal(defaultCacheDir('/apps/x', { WASMLET_CACHE_DIR: '' }), join('/apps/x', '.wasmlet', 'cache'));
});

test('fallbackCacheDir is <os tmpdir>/wasmlet-cache', () => {
  assert.equal(fallbackCacheDir(), join(tmpdir(), 'wasmlet-cache'));
});
