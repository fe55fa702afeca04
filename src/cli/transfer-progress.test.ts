import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { formatBytes } from './transfer-progress.ts';

test('formatBytes picks a binary unit', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(12_837_239), '12.2 MiB');
});

test('off a terminal: one plain line per finished blob, with size and rate or the note', () => {
  const script = `
    import { createTransferProgress } from ${JSON.stringify(new URL('./transfer-progress.ts', import.meta.url).href)};
    const p = await createTransferProgress('push', false);
    p.update('component a (wasm)', 1024, 2048);
    p.update('component a (wasm)', 2048, 2048);
    p.finish('component a (wasm)', 2048);
    p.finish('config', 209, 'skipped: already in the registry');
    p.stop();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^push component a \(wasm\): 2\.0 KiB in \d+\.\d\d s \([\d.]+ [KMG]?i?B\/s\)$/);
  assert.equal(lines[1], 'push config: 209 B (skipped: already in the registry)');
});
