import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HostDirGroup, HostDirVfs } from './host-dir-vfs.ts';
import { TIME_MEMO_MAX_ENTRIES, TimeMemo } from './time-memo.ts';
import type { VfsFile, VfsStat } from './vfs.ts';

const roots: string[] = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

function tree(): string {
  const r = mkdtempSync(join(tmpdir(), 'wasmlet-times-'));
  roots.push(r);
  writeFileSync(join(r, 'f'), 'hello');
  linkSync(join(r, 'f'), join(r, 'hard'));
  symlinkSync('f', join(r, 'link'));
  return r;
}

function openFile(vfs: HostDirVfs, rel: string): VfsFile {
  const h = vfs.open(rel, { read: true, write: true, create: false, exclusive: false, truncate: false, directory: false });
  assert.notEqual(h, 'directory');
  return h as VfsFile;
}

// An odd ns value Node's seconds-as-double cannot carry exactly.
const T = 1_700_000_000_123_456_789n;

test('host dir: set times are read back to the nanosecond, through any path and handle of the inode', () => {
  const r = tree();
  const vfs = new HostDirVfs(r);
  vfs.setTimes('f', T, T + 2n);
  assert.notEqual(statSync(join(r, 'f'), { bigint: true }).mtimeNs, T + 2n, 'the host itself rounds');
  const s = vfs.lstat('f');
  assert.equal(s.atimNs, T);
  assert.equal(s.mtimNs, T + 2n);
  assert.equal(vfs.lstat('hard').mtimNs, T + 2n);
  const h = openFile(vfs, 'f');
  assert.equal(h.stat().mtimNs, T + 2n);
  // Through the handle: only mtime; atime stays exactly what the guest saw.
  h.setTimes(null, T - 100n);
  assert.equal(h.stat().mtimNs, T - 100n);
  assert.equal(h.stat().atimNs, T);
  h.close();
});

test('host dir: a symlink has its own times (set without following)', () => {
  const r = tree();
  const vfs = new HostDirVfs(r);
  const fileBefore = vfs.lstat('f').mtimNs;
  vfs.setTimes('link', null, T);
  assert.equal(vfs.lstat('link').mtimNs, T);
  assert.equal(vfs.lstat('f').mtimNs, fileBefore);
});

test('host dir: a later change of the host file wins over the remembered times', () => {
  const r = tree();
  const vfs = new HostDirVfs(r);
  vfs.setTimes('f', T, T);
  const h = openFile(vfs, 'f');
  h.write(new Uint8Array([1, 2, 3]), 0, 3, 0);
  const host = statSync(join(r, 'f'), { bigint: true }).mtimeNs;
  assert.equal(h.stat().mtimNs, host);
  assert.equal(vfs.lstat('f').mtimNs, host);
  assert.equal(vfs.lstat('f').atimNs, T, 'atime was not touched by the write');
  // "now" is the host's own value.
  h.setTimes('now', 'now');
  const now: VfsStat = h.stat();
  assert.equal(now.atimNs, statSync(join(r, 'f'), { bigint: true }).atimeNs);
  h.close();
});

test('host dir: preopens of one guest share the memo; another guest sees the host rounding', () => {
  const r = tree();
  const group = new HostDirGroup();
  const a = new HostDirVfs(r, group);
  const b = new HostDirVfs(r, group);
  a.setTimes('f', null, T);
  assert.equal(b.lstat('f').mtimNs, T);
  const other = new HostDirVfs(r).lstat('f').mtimNs;
  assert.notEqual(other, T);
  assert.ok(other - T < 1000n && T - other < 1000n, 'within a microsecond');
});

test('TimeMemo keeps at most TIME_MEMO_MAX_ENTRIES inodes, forgetting the oldest', () => {
  const memo = new TimeMemo();
  const host = (ino: bigint) => ({ dev: 1n, ino, atimeNs: 10n, mtimeNs: 10n });
  const stat = (ino: bigint): VfsStat => ({ type: 'regular-file', dev: 1n, ino, nlink: 1n, size: 0n, atimNs: 10n, mtimNs: 10n, ctimNs: 0n });
  for (let i = 0; i <= TIME_MEMO_MAX_ENTRIES; i++) memo.record(host(BigInt(i)), 11n, null);
  assert.equal(memo.apply(stat(0n)).atimNs, 10n, 'the oldest is forgotten');
  assert.equal(memo.apply(stat(1n)).atimNs, 11n);
  assert.equal(memo.apply(stat(BigInt(TIME_MEMO_MAX_ENTRIES))).atimNs, 11n);
  assert.equal(memo.apply(stat(1n)).mtimNs, 10n, 'mtime was not set: the host value');
});
