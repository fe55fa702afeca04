// A Vfs over a host directory. Paths it receives are already confined and symlink-expanded by
// resolve.ts; it opens final components with O_NOFOLLOW so a symlink swapped in after
// resolution is not followed by the OS. Overlapping preopens of one guest share a HostDirGroup
// so that one's mutations invalidate what the others checked. (A directory component swapped for a symlink between
// resolution and use by another process is a residual race; guests alone cannot cause it,
// since a guest is single-threaded and resolution happens inside its own call.)
import type { BigIntStats } from 'node:fs';
import { fsError } from './fs-error.ts';
import { TimeMemo } from './time-memo.ts';
import type { FileType, TimeSpec, Vfs, VfsDirEntry, VfsFile, VfsOpenOptions, VfsStat } from './vfs.ts';

// Not `import ... from 'node:fs'`: that builds an ESM facade reading every export, which loads
// fs streams and fs/promises (~5 ms of `wasmlet run` start-up). See stdio.ts.
const {
  closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync,
  lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, readvSync, realpathSync,
  renameSync, rmdirSync, symlinkSync, unlinkSync, writeSync,
} = process.getBuiltinModule('node:fs');

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, S_IFMT, S_IFREG,
  S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK } = constants;

function fileType(mode: number): FileType {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'regular-file';
    case S_IFDIR: return 'directory';
    case S_IFLNK: return 'symbolic-link';
    case S_IFCHR: return 'character-device';
    case S_IFBLK: return 'block-device';
    case S_IFIFO: return 'fifo';
    case S_IFSOCK: return 'socket';
    default: return 'unknown';
  }
}

/** Converts Node's bigint stats to a VfsStat. */
export function vfsStatFromNode(s: BigIntStats): VfsStat {
  return {
    type: fileType(Number(s.mode)),
    dev: s.dev,
    ino: s.ino,
    nlink: s.nlink,
    size: s.size,
    atimNs: s.atimeNs,
    mtimNs: s.mtimeNs,
    ctimNs: s.ctimeNs,
  };
}

/** Node's utimes takes seconds as a double (µs-exact here; the host rounds further). */
function toSeconds(spec: bigint | 'now'): number {
  if (spec === 'now') return Date.now() / 1000;
  return Number(spec / 1000n) / 1e6;
}

/**
 * Sets times through `set` (futimes or lutimes, in seconds) and records the exact ns values in
 * `memo` (see time-memo.ts). `current` is the node's stat as the guest sees it (memo applied):
 * a time left unchanged (`null`) is written back as exactly that value, so it stays unchanged
 * to the nanosecond. `readBack` stats the node afterwards.
 */
function setTimesExact(
  memo: TimeMemo, atime: TimeSpec, mtime: TimeSpec, current: () => VfsStat,
  set: (atimeSec: number, mtimeSec: number) => void, readBack: () => BigIntStats,
): void {
  const cur = atime === null || mtime === null ? current() : null;
  const a = atime ?? cur!.atimNs;
  const m = mtime ?? cur!.mtimNs;
  set(toSeconds(a), toSeconds(m));
  memo.record(readBack(), a === 'now' ? null : a, m === 'now' ? null : m);
}

const BIGINT = { bigint: true } as const;

// A host fd number is reused by the next open anywhere in the process (another guest's file, a
// socket), so a closed HostFile must never pass its old number to the OS again: a WASI 0.2
// stream can outlive its descriptor. After close, #fd is -1 and every operation is EBADF.
class HostFile implements VfsFile {
  #fd: number;
  readonly #times: TimeMemo;
  constructor(fd: number, times: TimeMemo) { this.#fd = fd; this.#times = times; }
  #open(): number {
    const fd = this.#fd;
    if (fd < 0) throw fsError('EBADF');
    return fd;
  }
  // The last read's target, as readvSync's one-element list: a guest reads into the same buffer
  // again and again, so the view is built once. readvSync (preadv) rather than readSync: the
  // latter's argument handling allocates ~370 bytes per call (measured, Node 24), enough to
  // bring a scavenge into a bulk read of a few MiB; this allocates ~60.
  #view: [Uint8Array] | null = null;
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    const fd = this.#open();
    let view = this.#view;
    if (view === null || view[0].buffer !== buf.buffer || view[0].byteOffset !== buf.byteOffset + offset
      || view[0].length !== length) {
      view = this.#view = [buf.subarray(offset, offset + length)];
    }
    return readvSync(fd, view, position);
  }
  write(buf: Uint8Array, offset: number, length: number, position: number): number {
    return writeSync(this.#open(), buf, offset, length, position);
  }
  stat(): VfsStat { return this.#times.apply(vfsStatFromNode(fstatSync(this.#open(), BIGINT))); }
  setSize(size: number): void { ftruncateSync(this.#open(), size); }
  setTimes(atime: TimeSpec, mtime: TimeSpec): void {
    const fd = this.#open();
    setTimesExact(this.#times, atime, mtime, () => this.stat(),
      (a, m) => futimesSync(fd, a, m), () => fstatSync(fd, BIGINT));
  }
  sync(): void { fsyncSync(this.#open()); }
  datasync(): void { fdatasyncSync(this.#open()); }
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    closeSync(fd);
  }
}

/**
 * Shared by the HostDirVfs preopens of ONE guest instance: a count of the guest's mutations of
 * host directories (rmdir, unlink, rename, symlink) through any of them. Preopens can overlap
 * (one host directory inside another, or the same one twice), so a mutation through one can
 * invalidate what another has checked: its memo of directories, and its root itself (renamed
 * away, a symlink put in its place). Each vfs compares the count with the last one it saw
 * before it uses a path. It also holds the guest's exact file times (TimeMemo), so every
 * preopen reports the same times for one host inode. Build one per instance (`preopenVfses`
 * does); never share one between instances.
 */
export class HostDirGroup {
  /** Mutations so far. */
  epoch = 0;
  /** The exact (ns) times the guest set, reported while the host keeps its rounding of them. */
  readonly times = new TimeMemo();
  /** The vfses in the group: their roots are pinned (realpath) before the first mutation. */
  readonly members: HostDirVfs[] = [];
}

/**
 * A host directory as a Vfs. `hostPath` is resolved with realpath on first use, or when the
 * guest first mutates any preopen of its HostDirGroup, whichever comes first (so building one
 * costs no syscall); a missing directory then fails every operation with ENOENT. Should another
 * preopen of the group later move or replace the root, every operation fails with ENOENT.
 */
export class HostDirVfs implements Vfs {
  readonly hostPath: string;
  #root: string | null = null;
  readonly #group: HostDirGroup;
  /** `#group.epoch` when this vfs last checked its memo and root. */
  #seen: number;
  /** The root no longer resolves to the directory it did (moved, replaced): every use is ENOENT. */
  #lost = false;

  /** `group`: the other HostDirVfs preopens of the same guest instance (default: none). */
  constructor(hostPath: string, group: HostDirGroup = new HostDirGroup()) {
    this.hostPath = hostPath;
    this.#group = group;
    this.#seen = group.epoch;
    group.members.push(this);
  }

  /**
   * Fixes the root to what `hostPath` names now, before the guest changes anything: a preopen
   * not used yet must not later take, as its root, a symlink the guest put at its path. A
   * directory missing now stays missing for this guest (ENOENT), whatever is created there.
   */
  #pin(): void {
    if (this.#root !== null || this.#lost) return;
    try {
      this.#root = realpathSync.native(this.hostPath);
    } catch {
      this.#lost = true;
    }
  }

  #abs(rel: string): string {
    if (this.#seen !== this.#group.epoch || this.#lost) this.#resync();
    const root = this.#root ??= realpathSync.native(this.hostPath);
    return rel === '' ? root : `${root}/${rel}`;
  }

  /** Another preopen of this guest changed the host tree: drop the memo, re-check the root. */
  #resync(): void {
    if (this.#seen !== this.#group.epoch) {
      this.#seen = this.#group.epoch;
      this.#forget();
      if (this.#root !== null) {
        let now: string | null = null;
        try { now = realpathSync.native(this.hostPath); } catch { /* removed: lost */ }
        this.#lost = now !== this.#root;
      }
    }
    if (this.#lost) throw fsError('ENOENT');
  }

  /** Before a mutation through this vfs: its own memo and everyone else's are stale after it. */
  #mutating(): void {
    const group = this.#group;
    if (group.epoch === 0) for (const m of group.members) m.#pin();
    this.#forget();
    this.#seen = ++group.epoch;
  }

  // Resolution cost. realpath(3) re-walks every ancestor of the root (measured ~6x an lstat for
  // a 3-deep path under /tmp), so the resolver instead lstats each component inside the root,
  // and this vfs remembers the ones that were real directories (`#dirs`). The memo lives as
  // long as this object, i.e. one guest instance, and is cleared by every operation of this
  // guest that could turn a directory name into something else (rmdir, rename, symlink,
  // unlink), through this preopen or any other of the same guest (HostDirGroup; mkdir, link
  // and file creation cannot replace an existing name). Threat model: a path-based resolver in Node (no openat/RESOLVE_BENEATH) cannot
  // stop a *concurrent* writer of the same host directory (another instance sharing it
  // read-write, a host process) from swapping a checked directory for a symlink: with or
  // without the memo that is a race it can win. Give concurrently running guests distinct
  // read-write directories; read-only shares are safe.
  readonly #dirs = new Set<string>();
  // Rel paths last seen as regular files: a read open of one skips the fstat that tells files
  // from directories. Being wrong here is harmless (a directory opened as a file fails its
  // reads with EISDIR; a symlink is still refused by O_NOFOLLOW). Cleared with `#dirs`.
  readonly #files = new Set<string>();

  #forget(): void {
    this.#dirs.clear();
    this.#files.clear();
  }

  typeOf(rel: string): FileType | null {
    if (this.#seen !== this.#group.epoch || this.#lost) this.#resync();
    if (this.#dirs.has(rel)) return 'directory';
    const s = lstatSync(this.#abs(rel), { throwIfNoEntry: false });
    if (s === undefined) return null;
    const type = fileType(s.mode);
    if (type === 'directory') this.#dirs.add(rel);
    return type;
  }

  lstat(rel: string): VfsStat { return this.#group.times.apply(vfsStatFromNode(lstatSync(this.#abs(rel), BIGINT))); }

  readlink(rel: string): string { return readlinkSync(this.#abs(rel), 'utf8'); }

  open(rel: string, o: VfsOpenOptions): VfsFile | 'directory' {
    let flags = O_NOFOLLOW | (o.write ? (o.read ? O_RDWR : O_WRONLY) : O_RDONLY);
    if (o.create) flags |= O_CREAT;
    if (o.exclusive) flags |= O_EXCL;
    if (o.truncate) flags |= O_TRUNC;
    if (o.directory) flags |= O_DIRECTORY;
    const fd = openSync(this.#abs(rel), flags, 0o666);
    // A write open of a directory already failed with EISDIR; a read open needs a look.
    if (!o.write && !o.create && !this.#files.has(rel)) {
      let isDir: boolean;
      try {
        isDir = (fstatSync(fd).mode & S_IFMT) === S_IFDIR;
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      if (isDir) {
        closeSync(fd);
        return 'directory';
      }
      this.#files.add(rel);
    }
    return new HostFile(fd, this.#group.times);
  }

  mkdir(rel: string): void { mkdirSync(this.#abs(rel)); }
  rmdir(rel: string): void {
    const abs = this.#abs(rel);
    this.#mutating();
    rmdirSync(abs);
  }
  unlink(rel: string): void {
    const abs = this.#abs(rel);
    this.#mutating();
    unlinkSync(abs);
  }
  rename(fromRel: string, toRel: string): void {
    const from = this.#abs(fromRel);
    const to = this.#abs(toRel);
    this.#mutating();
    renameSync(from, to);
  }
  link(fromRel: string, toRel: string): void { linkSync(this.#abs(fromRel), this.#abs(toRel)); }
  symlink(target: string, rel: string): void {
    const abs = this.#abs(rel);
    this.#mutating();
    symlinkSync(target, abs);
  }

  setTimes(rel: string, atime: TimeSpec, mtime: TimeSpec): void {
    const abs = this.#abs(rel);
    setTimesExact(this.#group.times, atime, mtime, () => this.lstat(rel),
      (a, m) => lutimesSync(abs, a, m), () => lstatSync(abs, BIGINT));
  }

  readdir(rel: string): VfsDirEntry[] {
    const abs = this.#abs(rel);
    const out: VfsDirEntry[] = [];
    for (const name of readdirSync(abs)) {
      try {
        const s = lstatSync(`${abs}/${name}`, BIGINT);
        out.push({ name, type: fileType(Number(s.mode)), ino: s.ino });
      } catch {
        // removed between readdir and lstat: skip it, as a later readdir would
      }
    }
    return out;
  }
}
