import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DirDescriptor, FileDescriptor, type OpenAtOptions } from './descriptor.ts';
import { HostDirVfs } from './host-dir-vfs.ts';
import { MemoryVfs } from './memory-vfs.ts';
import type { Vfs } from './vfs.ts';

const roots: string[] = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

/** `in/` is the preopen; `secret` sits beside it, outside. */
const KINDS: Record<string, () => Vfs> = {
  memory: () => {
    const v = new MemoryVfs();
    v.mkdirp('d');
    v.writeFile('f', 'hello');
    v.symlink('f', 'lf');
    v.symlink('d', 'ld');
    v.symlink('lf', 'llf');
    v.symlink('../secret', 'out');
    v.symlink('nowhere', 'dangling');
    return v;
  },
  host: () => {
    const r = mkdtempSync(join(tmpdir(), 'wasmlet-descriptor-'));
    roots.push(r);
    writeFileSync(join(r, 'secret'), 'outside');
    mkdirSync(join(r, 'in/d'), { recursive: true });
    writeFileSync(join(r, 'in/f'), 'hello');
    symlinkSync('f', join(r, 'in/lf'));
    symlinkSync('d', join(r, 'in/ld'));
    symlinkSync('lf', join(r, 'in/llf'));
    symlinkSync('../secret', join(r, 'in/out'));
    symlinkSync('nowhere', join(r, 'in/dangling'));
    return new HostDirVfs(join(r, 'in'));
  },
};

const OPEN: OpenAtOptions = {
  followSymlinks: true, create: false, exclusive: false, truncate: false, directory: false, read: true, write: false, append: false,
};

function code(f: () => unknown): string | undefined {
  try { f(); return undefined; } catch (e) { return (e as { code?: string }).code; }
}

function readAll(d: FileDescriptor): string {
  const buf = new Uint8Array(64);
  const n = d.read(buf, 0, buf.length);
  d.close();
  return new TextDecoder().decode(buf.subarray(0, n));
}

for (const [kind, make] of Object.entries(KINDS)) {
  describe(`DirDescriptor (${kind}): a followed final symlink opens and stats its target`, () => {
    const root = new DirDescriptor(make(), '', false, '/');

    test('openAt follows a final symlink (and a chain), to files and to directories', () => {
      for (const p of ['f', 'lf', 'llf']) {
        const d = root.openAt(p, OPEN);
        assert.ok(d instanceof FileDescriptor, p);
        assert.equal(readAll(d), 'hello');
      }
      const dir = root.openAt('ld', { ...OPEN, directory: true });
      assert.ok(dir instanceof DirDescriptor);
      assert.equal(dir.rel, 'd');
      assert.equal(code(() => root.openAt('lf', { ...OPEN, directory: true })), 'ENOTDIR');
    });

    test('openAt without follow refuses a final symlink; a followed one stays confined', () => {
      assert.equal(code(() => root.openAt('lf', { ...OPEN, followSymlinks: false })), 'ELOOP');
      assert.equal(code(() => root.openAt('out', OPEN)), 'EPERM');
      assert.equal(code(() => root.openAt('dangling', OPEN)), 'ENOENT');
      assert.equal(code(() => root.openAt('missing', OPEN)), 'ENOENT');
    });

    test('statAt reports the target when following and the link itself when not', () => {
      assert.equal(root.statAt('f', true).type, 'regular-file');
      assert.equal(root.statAt('llf', true).type, 'regular-file');
      assert.equal(root.statAt('llf', true).size, 5n);
      assert.equal(root.statAt('llf', false).type, 'symbolic-link');
      assert.equal(root.statAt('ld', true).type, 'directory');
      assert.equal(code(() => root.statAt('out', true)), 'EPERM');
      assert.equal(root.statAt('out', false).type, 'symbolic-link');
      assert.equal(code(() => root.statAt('dangling', true)), 'ENOENT');
    });
  });
}
