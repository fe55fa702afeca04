// `files` mounts become preopens: a directory in place, single files copied into one staging
// directory (never their real parent, which would expose siblings); cleanup removes the staging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageFileMounts } from './file-mounts.ts';

test('directories are preopened read-only in place; files are staged at their guest paths', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-mounts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'README.md'), 'readme');
  writeFileSync(join(dir, 'secret.txt'), 'not mounted');
  const { preopens, cleanup } = stageFileMounts([
    { hostPath: join(dir, 'assets'), guestPath: '/assets' },
    { hostPath: join(dir, 'README.md'), guestPath: '/docs/README.md' },
  ]);
  assert.equal(preopens.length, 2);
  assert.deepEqual(preopens[0], { guestPath: '/assets', hostPath: join(dir, 'assets'), readOnly: true });
  const staged = preopens[1]!;
  assert.equal(staged.guestPath, '/');
  assert.equal(staged.readOnly, true);
  assert.notEqual(staged.hostPath, dir, 'the file\'s real parent (with its siblings) is not preopened');
  assert.equal(readFileSync(join(staged.hostPath, 'docs', 'README.md'), 'utf8'), 'readme');
  assert.equal(existsSync(join(staged.hostPath, 'secret.txt')), false);
  cleanup();
  assert.equal(existsSync(staged.hostPath), false);
});

test('no files, no preopens and nothing staged', () => {
  const { preopens, cleanup } = stageFileMounts([]);
  assert.deepEqual(preopens, []);
  cleanup();
});
