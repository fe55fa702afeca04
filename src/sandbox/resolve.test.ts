import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { HostDirVfs } from './host-dir-vfs.ts';
import { MemoryVfs } from './memory-vfs.ts';
import { MAX_SYMLINK_EXPANSIONS, resolvePath } from './resolve.ts';
import type { Vfs } from './vfs.ts';

const roots: string[] = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

/** The same small tree in each vfs kind. */
const KINDS: Record<string, () => Vfs> = {
  memory: () => {
    const v = new MemoryVfs();
    v.mkdirp('a/b');
    v.writeFile('a/b/f', 'x');
    v.symlink('b', 'a/lb');
    v.symlink('..', 'a/b/up');
    v.symlink('f', 'a/b/lf');
    return v;
  },
  host: () => {
    const r = mkdtempSync(join(tmpdir(), 'wasmlet-resolve-'));
    roots.push(r);
    mkdirSync(join(r, 'a/b'), { recursive: true });
    writeFileSync(join(r, 'a/b/f'), 'x');
    symlinkSync('b', join(r, 'a/lb'));
    symlinkSync('..', join(r, 'a/b/up'));
    symlinkSync('f', join(r, 'a/b/lf'));
    return new HostDirVfs(r);
  },
};

function code(f: () => unknown): string | undefined {
  try { f(); return undefined; } catch (e) { return (e as { code?: string }).code; }
}

for (const [kind, make] of Object.entries(KINDS)) {
  describe(`resolvePath on ${kind}`, () => {
    test('lexical names, dots and intermediate symlinks', () => {
      const v = make();
      assert.equal(resolvePath(v, '', 'a/b/f', false), 'a/b/f');
      assert.equal(resolvePath(v, '', './a//b/./f', false), 'a/b/f');
      assert.equal(resolvePath(v, '', 'a/lb/f', false), 'a/b/f');
      assert.equal(resolvePath(v, 'a', 'b/f', false), 'a/b/f');
      assert.equal(resolvePath(v, '', '.', false), '');
      assert.equal(resolvePath(v, '', 'a/..', false), '');
    });

    test('`..` applies to the real parent of a symlinked directory (POSIX)', () => {
      const v = make();
      // a/lb -> b, so a/lb/.. is a, not the root.
      assert.equal(resolvePath(v, '', 'a/lb/../b/f', false), 'a/b/f');
      // a/b/up -> .. (= a); two more levels up leave the root.
      assert.equal(resolvePath(v, '', 'a/b/up/b/f', false), 'a/b/f');
      assert.equal(code(() => resolvePath(v, '', 'a/b/up/../..', false)), 'EPERM');
    });

    test('a subdirectory is its own root: `..` and symlinks cannot climb above it', () => {
      const v = make();
      assert.equal(code(() => resolvePath(v, 'a/b', '../b/f', false)), 'EPERM');
      assert.equal(code(() => resolvePath(v, 'a/b', 'up/b', false)), 'EPERM'); // up -> .. leaves a/b
      assert.equal(resolvePath(v, 'a', 'b/../b/f', false), 'a/b/f');
      assert.equal(code(() => resolvePath(v, 'a/nope', 'x', false)), 'ENOENT'); // base gone
    });

    test('the final symlink is followed only on request', () => {
      const v = make();
      assert.equal(resolvePath(v, '', 'a/b/lf', false), 'a/b/lf');
      assert.equal(resolvePath(v, '', 'a/b/lf', true), 'a/b/f');
      assert.equal(resolvePath(v, '', 'a/lb', true), 'a/b');
    });

    test('missing and non-directory components', () => {
      const v = make();
      assert.equal(resolvePath(v, '', 'a/new', true), 'a/new'); // a final name may be missing
      assert.equal(code(() => resolvePath(v, '', 'a/nope/f', false)), 'ENOENT');
      assert.equal(code(() => resolvePath(v, '', 'a/b/f/g', false)), 'ENOTDIR');
      assert.equal(code(() => resolvePath(v, '', 'a/b/f/', false)), 'ENOTDIR');
      assert.equal(code(() => resolvePath(v, '', '', false)), 'ENOENT');
      assert.equal(code(() => resolvePath(v, '', 'a\0b', false)), 'EINVAL');
      assert.equal(code(() => resolvePath(v, '', '/a', false)), 'EPERM');
    });

    test(`a chain of ${MAX_SYMLINK_EXPANSIONS} symlinks resolves; one more is ELOOP`, () => {
      const v = make();
      for (let i = 0; i < MAX_SYMLINK_EXPANSIONS + 1; i++) v.symlink(i === 0 ? 'a/b/f' : `s${i - 1}`, `s${i}`);
      assert.equal(resolvePath(v, '', `s${MAX_SYMLINK_EXPANSIONS - 1}`, true), 'a/b/f');
      assert.equal(code(() => resolvePath(v, '', `s${MAX_SYMLINK_EXPANSIONS}`, true)), 'ELOOP');
    });
  });
}
