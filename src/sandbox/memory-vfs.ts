// An in-memory Vfs: a tree of nodes held in JS objects. For tests and embedders that want a
// guest filesystem with no host directory behind it. Like host-dir-vfs, it trusts its callers
// for confinement (resolve.ts) and only interprets canonical rel paths.
import { fsError } from './fs-error.ts';
import type { FileType, TimeSpec, Vfs, VfsDirEntry, VfsFile, VfsOpenOptions, VfsStat } from './vfs.ts';

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

interface Meta { ino: bigint; nlink: bigint; atimNs: bigint; mtimNs: bigint; ctimNs: bigint }
interface MemFile extends Meta { kind: 'file'; data: Uint8Array; size: number }
interface MemDir extends Meta { kind: 'dir'; entries: Map<string, MemNode> }
interface MemLink extends Meta { kind: 'link'; target: string }
type MemNode = MemFile | MemDir | MemLink;

const TYPE: Record<MemNode['kind'], FileType> = { file: 'regular-file', dir: 'directory', link: 'symbolic-link' };

function statOf(n: MemNode): VfsStat {
  const size = n.kind === 'file' ? n.size : n.kind === 'link' ? new TextEncoder().encode(n.target).length : 0;
  return { type: TYPE[n.kind], dev: 0n, ino: n.ino, nlink: n.nlink, size: BigInt(size), atimNs: n.atimNs, mtimNs: n.mtimNs, ctimNs: n.ctimNs };
}

function applyTime(spec: TimeSpec, current: bigint): bigint {
  return spec === null ? current : spec === 'now' ? nowNs() : spec;
}

/** Bytes of file content a MemoryVfs holds (capacity, all files) against its limit. */
interface Budget { used: number; readonly max: number }

/** Default `maxBytes` of a MemoryVfs. */
export const MEMORY_VFS_MAX_BYTES = 64 * 1024 * 1024;

/** Makes room for `need` bytes in `n` (need > capacity), within the budget: ENOSPC beyond it. */
function grow(n: MemFile, need: number, budget: Budget): void {
  const have = n.data.length;
  const room = budget.max - budget.used + have; // the most this file may hold
  if (need > room) throw fsError('ENOSPC');
  const cap = Math.min(Math.max(need, have * 2, 64), room);
  const grown = new Uint8Array(cap);
  grown.set(n.data.subarray(0, n.size));
  n.data = grown;
  budget.used += cap - have;
}

class MemFileHandle implements VfsFile {
  readonly #node: MemFile;
  readonly #budget: Budget;
  constructor(node: MemFile, budget: Budget) { this.#node = node; this.#budget = budget; }
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    const n = this.#node;
    if (position >= n.size) return 0;
    const count = Math.min(length, n.size - position);
    buf.set(n.data.subarray(position, position + count), offset);
    n.atimNs = nowNs();
    return count;
  }
  write(buf: Uint8Array, offset: number, length: number, position: number): number {
    const n = this.#node;
    const end = position + length;
    if (end > n.data.length) grow(n, end, this.#budget);
    if (position > n.size) n.data.fill(0, n.size, position);
    n.data.set(buf.subarray(offset, offset + length), position);
    if (end > n.size) n.size = end;
    n.mtimNs = n.ctimNs = nowNs();
    return length;
  }
  stat(): VfsStat { return statOf(this.#node); }
  setSize(size: number): void {
    const n = this.#node;
    if (size > n.data.length) {
      grow(n, size, this.#budget);
      n.data.fill(0, n.size, size);
    } else if (size > n.size) {
      n.data.fill(0, n.size, size);
    }
    n.size = size;
    n.mtimNs = n.ctimNs = nowNs();
  }
  setTimes(atime: TimeSpec, mtime: TimeSpec): void {
    const n = this.#node;
    n.atimNs = applyTime(atime, n.atimNs);
    n.mtimNs = applyTime(mtime, n.mtimNs);
    n.ctimNs = nowNs();
  }
  sync(): void {}
  datasync(): void {}
  close(): void {}
}

/** Options of a MemoryVfs. */
export interface MemoryVfsOptions {
  /**
   * Most bytes of file content held at once, all files together; a write or set-size that
   * would need more fails with ENOSPC. The guest picks offsets and sizes and each byte is host
   * memory, so this bounds what a guest can make the host allocate. Default
   * MEMORY_VFS_MAX_BYTES (64 MiB).
   */
  maxBytes?: number;
}

/**
 * An in-memory filesystem. Build its content with `writeFile`, `mkdirp` and `symlink` (host
 * side, trusted paths), then hand it to a preopen (`{ guestPath, vfs }`).
 */
export class MemoryVfs implements Vfs {
  #nextIno = 1n;
  readonly #root: MemDir;
  readonly #budget: Budget;

  constructor(options: MemoryVfsOptions = {}) {
    this.#root = this.#dir();
    this.#budget = { used: 0, max: options.maxBytes ?? MEMORY_VFS_MAX_BYTES };
  }

  /** A name of `n` went away: once it has none, its bytes no longer count (open handles keep
   * reading them, as an unlinked file's do). */
  #unlinked(n: MemNode): void {
    if (--n.nlink === 0n && n.kind === 'file') this.#budget.used -= n.data.length;
  }

  #meta(): Meta {
    const t = nowNs();
    return { ino: this.#nextIno++, nlink: 1n, atimNs: t, mtimNs: t, ctimNs: t };
  }
  #dir(): MemDir { return { kind: 'dir', entries: new Map(), ...this.#meta(), nlink: 2n }; }

  #lookup(rel: string): MemNode {
    if (rel === '') return this.#root;
    let node: MemNode = this.#root;
    for (const c of rel.split('/')) {
      if (node.kind !== 'dir') throw fsError('ENOTDIR');
      const next = node.entries.get(c);
      if (next === undefined) throw fsError('ENOENT');
      node = next;
    }
    return node;
  }

  /** The directory holding `rel` and the final name; EEXIST-style checks are the caller's. */
  #parent(rel: string): [MemDir, string] {
    const i = rel.lastIndexOf('/');
    const dir = i < 0 ? this.#root : this.#lookup(rel.slice(0, i));
    if (dir.kind !== 'dir') throw fsError('ENOTDIR');
    return [dir, rel.slice(i + 1)];
  }

  #touch(dir: MemDir): void { dir.mtimNs = dir.ctimNs = nowNs(); }

  lstat(rel: string): VfsStat { return statOf(this.#lookup(rel)); }

  typeOf(rel: string): FileType | null {
    let node: MemNode = this.#root;
    if (rel !== '') {
      for (const c of rel.split('/')) {
        if (node.kind !== 'dir') return null;
        const next = node.entries.get(c);
        if (next === undefined) return null;
        node = next;
      }
    }
    return TYPE[node.kind];
  }

  readlink(rel: string): string {
    const n = this.#lookup(rel);
    if (n.kind !== 'link') throw fsError('EINVAL');
    return n.target;
  }

  open(rel: string, o: VfsOpenOptions): VfsFile | 'directory' {
    let node: MemNode | undefined;
    let parent: MemDir | undefined;
    let name = '';
    if (rel === '') node = this.#root;
    else {
      [parent, name] = this.#parent(rel);
      node = parent.entries.get(name);
    }
    if (node === undefined) {
      if (!o.create) throw fsError('ENOENT');
      if (o.directory) throw fsError('EINVAL');
      const file: MemFile = { kind: 'file', data: new Uint8Array(0), size: 0, ...this.#meta() };
      parent!.entries.set(name, file);
      this.#touch(parent!);
      return new MemFileHandle(file, this.#budget);
    }
    if (o.create && o.exclusive) throw fsError('EEXIST');
    if (node.kind === 'link') throw fsError('ELOOP'); // O_NOFOLLOW on a symlink
    if (node.kind === 'dir') {
      if (o.write || o.truncate) throw fsError('EISDIR');
      return 'directory';
    }
    if (o.directory) throw fsError('ENOTDIR');
    if (o.truncate) { node.size = 0; node.mtimNs = node.ctimNs = nowNs(); }
    return new MemFileHandle(node, this.#budget);
  }

  mkdir(rel: string): void {
    if (rel === '') throw fsError('EEXIST');
    const [parent, name] = this.#parent(rel);
    if (parent.entries.has(name)) throw fsError('EEXIST');
    parent.entries.set(name, this.#dir());
    parent.nlink++;
    this.#touch(parent);
  }

  rmdir(rel: string): void {
    if (rel === '') throw fsError('EBUSY');
    const [parent, name] = this.#parent(rel);
    const n = parent.entries.get(name);
    if (n === undefined) throw fsError('ENOENT');
    if (n.kind !== 'dir') throw fsError('ENOTDIR');
    if (n.entries.size > 0) throw fsError('ENOTEMPTY');
    parent.entries.delete(name);
    parent.nlink--;
    this.#touch(parent);
  }

  unlink(rel: string): void {
    if (rel === '') throw fsError('EISDIR');
    const [parent, name] = this.#parent(rel);
    const n = parent.entries.get(name);
    if (n === undefined) throw fsError('ENOENT');
    if (n.kind === 'dir') throw fsError('EISDIR');
    parent.entries.delete(name);
    this.#unlinked(n);
    n.ctimNs = nowNs();
    this.#touch(parent);
  }

  rename(fromRel: string, toRel: string): void {
    if (fromRel === '' || toRel === '') throw fsError('EBUSY');
    const [fromDir, fromName] = this.#parent(fromRel);
    const node = fromDir.entries.get(fromName);
    if (node === undefined) throw fsError('ENOENT');
    const [toDir, toName] = this.#parent(toRel);
    if (node.kind === 'dir' && (toRel === fromRel || toRel.startsWith(`${fromRel}/`))) {
      if (toRel === fromRel) return;
      throw fsError('EINVAL'); // a directory into itself
    }
    const existing = toDir.entries.get(toName);
    if (existing === node) return;
    if (existing !== undefined) {
      if (node.kind === 'dir') {
        if (existing.kind !== 'dir') throw fsError('ENOTDIR');
        if (existing.entries.size > 0) throw fsError('ENOTEMPTY');
        toDir.nlink--;
      } else if (existing.kind === 'dir') {
        throw fsError('EISDIR');
      }
      this.#unlinked(existing);
    }
    fromDir.entries.delete(fromName);
    toDir.entries.set(toName, node);
    if (node.kind === 'dir' && fromDir !== toDir) { fromDir.nlink--; toDir.nlink++; }
    node.ctimNs = nowNs();
    this.#touch(fromDir);
    this.#touch(toDir);
  }

  link(fromRel: string, toRel: string): void {
    const node = this.#lookup(fromRel);
    if (node.kind === 'dir') throw fsError('EPERM'); // Linux: no hard links to directories
    const [toDir, toName] = this.#parent(toRel);
    if (toDir.entries.has(toName)) throw fsError('EEXIST');
    toDir.entries.set(toName, node);
    node.nlink++;
    node.ctimNs = nowNs();
    this.#touch(toDir);
  }

  symlink(target: string, rel: string): void {
    if (rel === '') throw fsError('EEXIST');
    if (target === '') throw fsError('ENOENT');
    const [parent, name] = this.#parent(rel);
    if (parent.entries.has(name)) throw fsError('EEXIST');
    parent.entries.set(name, { kind: 'link', target, ...this.#meta() });
    this.#touch(parent);
  }

  setTimes(rel: string, atime: TimeSpec, mtime: TimeSpec): void {
    const n = this.#lookup(rel);
    n.atimNs = applyTime(atime, n.atimNs);
    n.mtimNs = applyTime(mtime, n.mtimNs);
    n.ctimNs = nowNs();
  }

  readdir(rel: string): VfsDirEntry[] {
    const n = this.#lookup(rel);
    if (n.kind !== 'dir') throw fsError('ENOTDIR');
    return [...n.entries].map(([name, e]) => ({ name, type: TYPE[e.kind], ino: e.ino }));
  }

  /** Host-side helper: creates `rel` and missing parents as directories. */
  mkdirp(rel: string): void {
    let cur = '';
    for (const c of rel.split('/').filter((x) => x !== '')) {
      cur = cur === '' ? c : `${cur}/${c}`;
      const [parent, name] = this.#parent(cur);
      if (!parent.entries.has(name)) this.mkdir(cur);
    }
  }

  /** Host-side helper: writes a whole file (creating parents), replacing any content. */
  writeFile(rel: string, content: Uint8Array | string): void {
    const i = rel.lastIndexOf('/');
    if (i > 0) this.mkdirp(rel.slice(0, i));
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const h = this.open(rel, { read: false, write: true, create: true, exclusive: false, truncate: true, directory: false });
    if (h === 'directory') throw fsError('EISDIR');
    h.write(bytes, 0, bytes.length, 0);
  }

  /** Host-side helper: the whole content of the file at `rel`. */
  readFile(rel: string): Uint8Array {
    const n = this.#lookup(rel);
    if (n.kind !== 'file') throw fsError(n.kind === 'dir' ? 'EISDIR' : 'EINVAL');
    return n.data.slice(0, n.size);
  }

  /** Host-side helper: true when `rel` exists (not following a final symlink). */
  exists(rel: string): boolean {
    try { this.#lookup(rel); return true; } catch { return false; }
  }
}
