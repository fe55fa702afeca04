import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCComponent } from '../../test/support/components.ts';
import { defaultCacheDir, fallbackCacheDir } from '../util/cache-dir.ts';
import { prepareComponentForRun } from './run-component.ts';

test('defaultCacheDir: $WASMLET_CACHE_DIR wins, else <base>/.wasmlet/cache (base default: current dir)', () => {
  assert.equal(defaultCacheDir('/apps/x', { WASMLET_CACHE_DIR: '/var/cache/w' }), '/var/cache/w');
  assert.equal(defaultCacheDir('/apps/x', {}), join('/apps/x', '.wasmlet', 'cache'));
  assert.equal(defaultCacheDir(undefined, {}), join('.wasmlet', 'cache'));
  // An empty variable counts as unset (a '' root would put the cache under the current directory).
  assert.equal(defaultCacheDir('/apps/x', { WASMLET_CACHE_DIR: '' }), join('/apps/x', '.wasmlet', 'cache'));
});

test('a cache dir that cannot be written falls back to <os tmpdir>/wasmlet-cache', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wasmlet-cache-dir-test-'));
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = tmp; // os.tmpdir() reads it on each call
  try {
    assert.equal(fallbackCacheDir(), join(tmp, 'wasmlet-cache'));
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, '');
    const bytes = readFileSync(await buildCComponent('test/fixtures/components/c-hello/hello.c'));
    const prepared = await prepareComponentForRun(bytes, { cacheDir: join(file, 'cache') });
    assert.ok(prepared.dir.startsWith(join(tmp, 'wasmlet-cache', 'components')), prepared.dir);
  } finally {
    if (saved === undefined) delete process.env['TMPDIR']; else process.env['TMPDIR'] = saved;
    rmSync(tmp, { recursive: true, force: true });
  }
});
