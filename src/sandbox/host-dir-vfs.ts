// A Vfs over a host directory. Paths it receives are already confined and symlink-expanded by
// resolve.ts; it opens final components with O_NOFOLLOW so a symlink swapped in after
// resolution is not followed by the OS. (A directory component swapped for a symlink between
// resolution and use by another process is a residual race; guests alone cannot cause it,
// since a guest is single-threaded and resolution happens inside its own call.)
import type { BigIntStats } from 'node:fs';
import type { FileType, TimeSpec, Vfs, VfsDirEntry, VfsFile, VfsOpenOptions, VfsStat } from './vfs.ts';

// Not `import ... from 'node:fs'`: that builds an ESM facade reading every export, which loads
// fs streams and fs/promises (~5 ms of `wasmlet run` start-up). See stdio.ts.
const {
  closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync,
  lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, realpathSync,
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

/** Node's utimes takes seconds (number); `null` keeps the current value. */
function toSeconds(spec: TimeSpec, currentNs: bigint): number {
  if (spec === 'now') return Date.now() / 1000;
  const ns = spec ?? currentNs;
  return Number(ns / 1000n) / 1e6;
}

const BIGINT = { bigint: true } as const;

class HostFile implements VfsFile {
  readonly #fd: number;
  constructor(fd: number) { this.#fd = fd; }
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    return readSync(this.#fd, buf, offset, length, position);
  }
  write(buf: Uint8Array, offset: number, length: number, position: number): number {
    return writeSync(this.#fd, buf, offset, length, position);
  }
  stat(): VfsStat { return vfsStatFromNode(fstatSync(this.#fd, BIGINT)); }
  setSize(size: number): void { ftruncateSync(this.#fd, size); }
  setTimes(atime: TimeSpec, mtime: TimeSpec): void {
    const cur = atime === null || mtime === null ? fstatSync(this.#fd, BIGINT) : null;
    futimesSync(this.#fd, toSeconds(atime, cur?.atimeNs ?? 0n), toSeconds(mtime, cur?.mtimeNs ?? 0n));
  }
  sync(): void { fsyncSync(this.#fd); }
  datasync(): void { fdatasyncSync(this.#fd); }
  close(): void { closeSync(this.#fd); }
}

/**
 * A host directory as a Vfs. `hostPath` is resolved with realpath on first use (so building one
 * costs no syscall); a missing directory then fails every operation with ENOENT.
 */
export class HostDirVfs implements Vfs {
  readonly hostPath: string;
  #root: string | null = null;

  constructor(hostPath: string) {
    this.hostPath = hostPath;
  }

  #abs(rel: string): string {
    const root = this.#root ??= realpathSync.native(this.hostPath);
    return rel === '' ? root : `${root}/${rel}`;
  }

  // Resolution cost. realpath(3) re-walks every ancestor of the root (measured ~6x an lstat for
  // a 3-deep path under /tmp), so the resolver instead lstats each component inside the root,
  // and this vfs remembers the ones that were real directories (`#dirs`). The memo lives as
  // long as this object, i.e. one guest instance, and is cleared by every operation of this
  // guest that could turn a directory name into something else (rmdir, rename, symlink,
  // unlink). Threat model: a path-based resolver in Node (no openat/RESOLVE_BENEATH) cannot
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
    if (this.#dirs.has(rel)) return 'directory';
    const s = lstatSync(this.#abs(rel), { throwIfNoEntry: false });
    if (s === undefined) return null;
    const type = fileType(s.mode);
    if (type === 'directory') this.#dirs.add(rel);
    return type;
  }

  lstat(rel: string): VfsStat { return vfsStatFromNode(lstatSync(this.#abs(rel), BIGINT)); }

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
    return new HostFile(fd);
  }

  mkdir(rel: string): void { mkdirSync(this.#abs(rel)); }
  rmdir(rel: string): void { this.#forget(); rmdirSync(this.#abs(rel)); }
  unlink(rel: string): void { this.#forget(); unlinkSync(this.#abs(rel)); }
  rename(fromRel: string, toRel: string): void { this.#forget(); renameSync(this.#abs(fromRel), this.#abs(toRel)); }
  link(fromRel: string, toRel: string): void { linkSync(this.#abs(fromRel), this.#abs(toRel)); }
  symlink(target: string, rel: string): void { this.#forget(); symlinkSync(target, this.#abs(rel)); }

  setTimes(rel: string, atime: TimeSpec, mtime: TimeSpec): void {
    const abs = this.#abs(rel);
    const cur = atime === null || mtime === null ? lstatSync(abs, BIGINT) : null;
    lutimesSync(abs, toSeconds(atime, cur?.atimeNs ?? 0n), toSeconds(mtime, cur?.mtimeNs ?? 0n));
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
