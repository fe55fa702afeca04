// Descriptors: what a guest's fd number points at. Version-neutral (WASI p1 and p2 both sit on
// these). The base class refuses everything with EBADF (what Wasmtime reports for an operation
// on the wrong kind of descriptor); subclasses override what they support, in the manner of
// browser_wasi_shim's `Fd`. Failures are thrown as FsError / Node fs errors.
import { fsError } from './fs-error.ts';
import { resolvePath, splitTrailingSlash, verifyDir } from './resolve.ts';
import type { InputStream, OutputStream } from './stdio.ts';
import type { FileType, TimeSpec, Vfs, VfsDirEntry, VfsFile, VfsStat } from './vfs.ts';

/** `whence` of a seek. */
export type Whence = 'set' | 'cur' | 'end';

/** Options of DirDescriptor.openAt (the version-neutral form of p1 oflags/rights/fdflags). */
export interface OpenAtOptions {
  followSymlinks: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  directory: boolean;
  read: boolean;
  write: boolean;
  append: boolean;
}

/** Errors an O_NOFOLLOW open reports for a final symlink: ELOOP (Linux, macOS; ENOTDIR with
 * O_DIRECTORY on Linux), EMLINK (FreeBSD). */
function maybeSymlinkError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ELOOP' || code === 'ENOTDIR' || code === 'EMLINK';
}

/** A guest-given byte offset or size: EINVAL unless a whole number in [0, 2^53) (no host file
 * is that large; beyond it a JS number is inexact and Node would throw, or for writes silently
 * use the current position). */
function checkOffset(v: number): void {
  if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v))) throw fsError('EINVAL');
}

function zeroStat(type: FileType): VfsStat {
  return { type, dev: 0n, ino: 0n, nlink: 0n, size: 0n, atimNs: 0n, mtimNs: 0n, ctimNs: 0n };
}

/** Base descriptor: every operation fails with EBADF unless a subclass supports it. */
export class Descriptor {
  /** The file type reported to the guest. */
  get type(): FileType { return 'unknown'; }
  read(_buf: Uint8Array, _offset: number, _length: number): number { throw fsError('EBADF'); }
  write(_buf: Uint8Array, _offset: number, _length: number): number { throw fsError('EBADF'); }
  pread(_buf: Uint8Array, _offset: number, _length: number, _position: number): number { throw fsError('EBADF'); }
  pwrite(_buf: Uint8Array, _offset: number, _length: number, _position: number): number { throw fsError('EBADF'); }
  seek(_offset: number, _whence: Whence): number { throw fsError('EBADF'); }
  tell(): number { throw fsError('EBADF'); }
  stat(): VfsStat { throw fsError('EBADF'); }
  setSize(_size: number): void { throw fsError('EBADF'); }
  setTimes(_atime: TimeSpec, _mtime: TimeSpec): void { throw fsError('EBADF'); }
  sync(): void { throw fsError('EBADF'); }
  datasync(): void { throw fsError('EBADF'); }
  /** Writes back buffered data (no-op unless the descriptor buffers). */
  flush(): void {}
  /** Releases host resources; the descriptor is unusable afterwards. */
  close(): void {}
}

/** fd 0 (or any input stream): sequential reads, no seeking. */
export class InputStreamDescriptor extends Descriptor {
  readonly stream: InputStream;
  constructor(stream: InputStream) { super(); this.stream = stream; }
  override get type(): FileType { return this.stream.isTTY === true ? 'character-device' : 'unknown'; }
  override read(buf: Uint8Array, offset: number, length: number): number {
    return this.stream.read(buf.subarray(offset, offset + length));
  }
  override pread(): number { throw fsError('ESPIPE'); }
  override seek(): number { throw fsError('ESPIPE'); }
  override tell(): number { throw fsError('ESPIPE'); }
  override stat(): VfsStat { return zeroStat(this.type); }
}

/** fd 1/2 (or any output stream): sequential writes, no seeking. */
export class OutputStreamDescriptor extends Descriptor {
  readonly stream: OutputStream;
  constructor(stream: OutputStream) { super(); this.stream = stream; }
  override get type(): FileType { return this.stream.isTTY === true ? 'character-device' : 'unknown'; }
  override write(buf: Uint8Array, offset: number, length: number): number {
    this.stream.write(buf.subarray(offset, offset + length));
    return length;
  }
  override pwrite(): number { throw fsError('ESPIPE'); }
  override seek(): number { throw fsError('ESPIPE'); }
  override tell(): number { throw fsError('ESPIPE'); }
  override stat(): VfsStat { return zeroStat(this.type); }
  override flush(): void { this.stream.flush?.(); }
}

/** Bytes of user-space write buffer per file description. */
export const WRITE_BUFFER_SIZE = 64 * 1024;
/** Writes at least this large bypass the buffer. */
const DIRECT_WRITE_MIN = 16 * 1024;

/**
 * An open-file description of a regular file: the VfsFile (inode handle) plus position, access
 * mode and append flag. Small sequential writes are buffered in user space; the buffer is
 * written back by `flush()`, which every other operation on this description calls first, and
 * which FdTable.flushPending() runs before any operation on any other descriptor (so the guest
 * never observes the buffering).
 */
export class FileDescriptor extends Descriptor {
  readonly file: VfsFile;
  readonly readable: boolean;
  readonly writable: boolean;
  /** Opened under a read-only preopen. */
  readonly readOnlyMount: boolean;
  append: boolean;
  nonblock = false;
  #pos = 0;
  #buf: Uint8Array | null = null;
  #bufLen = 0;
  #bufStart = 0;

  constructor(file: VfsFile, o: { readable: boolean; writable: boolean; append: boolean; readOnlyMount: boolean }) {
    super();
    this.file = file;
    this.readable = o.readable;
    this.writable = o.writable;
    this.append = o.append;
    this.readOnlyMount = o.readOnlyMount;
  }

  override get type(): FileType { return 'regular-file'; }

  /** True when buffered bytes are waiting to be written. */
  get dirty(): boolean { return this.#bufLen > 0; }

  override flush(): void {
    const len = this.#bufLen;
    if (len === 0) return;
    this.#bufLen = 0;
    const buf = this.#buf!;
    let done = 0;
    while (done < len) done += this.file.write(buf, done, len - done, this.#bufStart + done);
  }

  override write(src: Uint8Array, offset: number, length: number): number {
    if (!this.writable) throw fsError('EBADF');
    if (this.append && this.#bufLen === 0) this.#pos = Number(this.file.stat().size);
    if (length >= DIRECT_WRITE_MIN) {
      this.flush();
      const n = this.file.write(src, offset, length, this.#pos);
      this.#pos += n;
      return n;
    }
    let buf = this.#buf;
    if (buf === null) buf = this.#buf = new Uint8Array(WRITE_BUFFER_SIZE);
    if (this.#bufLen + length > WRITE_BUFFER_SIZE || (this.#bufLen > 0 && this.#bufStart + this.#bufLen !== this.#pos)) {
      this.flush();
    }
    let at = this.#bufLen;
    if (at === 0) this.#bufStart = this.#pos;
    if (length <= 32) {
      for (let i = 0; i < length; i++) buf[at++] = src[offset + i]!;
    } else {
      buf.set(src.subarray(offset, offset + length), at);
    }
    this.#bufLen += length;
    this.#pos += length;
    return length;
  }

  override read(buf: Uint8Array, offset: number, length: number): number {
    this.flush();
    if (!this.readable) throw fsError('EBADF');
    const n = this.file.read(buf, offset, length, this.#pos);
    this.#pos += n;
    return n;
  }

  override pread(buf: Uint8Array, offset: number, length: number, position: number): number {
    this.flush();
    if (!this.readable) throw fsError('EBADF');
    checkOffset(position);
    return this.file.read(buf, offset, length, position);
  }

  override pwrite(buf: Uint8Array, offset: number, length: number, position: number): number {
    this.flush();
    if (!this.writable) throw fsError('EBADF');
    checkOffset(position);
    // Linux pwrite semantics (Wasmtime's too): in append mode the offset is ignored.
    const at = this.append ? Number(this.file.stat().size) : position;
    return this.file.write(buf, offset, length, at);
  }

  override seek(offset: number, whence: Whence): number {
    this.flush();
    const base = whence === 'set' ? 0 : whence === 'cur' ? this.#pos : Number(this.file.stat().size);
    const pos = base + offset;
    if (pos < 0 || !Number.isSafeInteger(pos)) throw fsError('EINVAL');
    this.#pos = pos;
    return pos;
  }

  override tell(): number { return this.#pos; }

  override stat(): VfsStat {
    this.flush();
    return this.file.stat();
  }

  override setSize(size: number): void {
    this.flush();
    // Wasmtime checks the preopen's permission first (NotPermitted -> EPERM); a description
    // opened without write fails like Linux ftruncate on an O_RDONLY fd (EINVAL).
    if (this.readOnlyMount) throw fsError('EPERM');
    if (!this.writable) throw fsError('EINVAL');
    checkOffset(size);
    this.file.setSize(size);
  }

  override setTimes(atime: TimeSpec, mtime: TimeSpec): void {
    this.flush();
    if (this.readOnlyMount) throw fsError('EPERM');
    this.file.setTimes(atime, mtime);
  }

  override sync(): void { this.flush(); this.file.sync(); }
  override datasync(): void { this.flush(); this.file.datasync(); }

  override close(): void {
    try {
      this.flush();
    } finally {
      this.file.close();
    }
  }
}

/**
 * A directory: a canonical rel path inside a Vfs, plus the preopen's read-only flag. All path
 * operations resolve their guest path through resolve.ts, relative to this directory, so they
 * stay inside the preopen. Each mutation checks `readOnly` before touching the path, as
 * Wasmtime checks its DirPerms::MUTATE first (NotPermitted -> ERRNO_PERM).
 */
export class DirDescriptor extends Descriptor {
  readonly vfs: Vfs;
  readonly rel: string;
  readonly readOnly: boolean;
  /** The guest path it was preopened as; null when opened with openAt. */
  readonly preopenPath: string | null;
  #entries: VfsDirEntry[] | null = null;

  constructor(vfs: Vfs, rel: string, readOnly: boolean, preopenPath: string | null) {
    super();
    this.vfs = vfs;
    this.rel = rel;
    this.readOnly = readOnly;
    this.preopenPath = preopenPath;
  }

  override get type(): FileType { return 'directory'; }

  #resolve(path: string, follow: boolean): string {
    return resolvePath(this.vfs, this.rel, path, follow);
  }

  #mutable(): void {
    if (this.readOnly) throw fsError('EPERM');
  }

  /** This directory's own rel path, checked to still lead to it (ENOENT otherwise): after a
   * rename the host would follow a symlink planted at the old path. */
  #self(): string {
    const rel = this.rel;
    if (rel !== '') verifyDir(this.vfs, rel);
    return rel;
  }

  override stat(): VfsStat { return this.vfs.lstat(this.#self()); }

  override setTimes(atime: TimeSpec, mtime: TimeSpec): void {
    this.#mutable();
    this.vfs.setTimes(this.#self(), atime, mtime);
  }

  /** Opens `path`: a FileDescriptor or a DirDescriptor. */
  openAt(path: string, o: OpenAtOptions): FileDescriptor | DirDescriptor {
    // Wasmtime (filesystem.rs open_at): a read-only dir refuses create, truncate and write
    // before looking at the path.
    if (this.readOnly && (o.create || o.truncate || o.write)) throw fsError('EPERM');
    if (o.directory && (o.create || o.exclusive || o.truncate)) throw fsError('EINVAL');
    const write = o.write || o.create || o.truncate;
    const read = o.read || !write;
    const vo = { read, write, create: o.create, exclusive: o.exclusive, truncate: o.truncate, directory: o.directory };
    let rel: string;
    let opened: VfsFile | 'directory';
    if (o.create) {
      // Linux open_last_lookups: O_CREAT on `name/` is EISDIR whatever `name` is, once the
      // directories before it resolve.
      const [bare, slash] = splitTrailingSlash(path);
      if (slash) {
        this.#resolve(bare, false);
        throw fsError('EISDIR');
      }
    }
    if (o.followSymlinks && !o.create) {
      // Fast path: a followed final component is rarely a symlink, so skip its lstat: resolve
      // without following it and let the vfs open it with O_NOFOLLOW. Only when that open says
      // "symlink" resolve again, following (the intermediate components resolve the same
      // either way). Not for create: O_CREAT|O_EXCL would not report a symlink as one.
      rel = this.#resolve(path, false);
      try {
        opened = this.vfs.open(rel, vo);
      } catch (err) {
        if (!maybeSymlinkError(err)) throw err;
        rel = this.#resolve(path, true);
        opened = this.vfs.open(rel, vo);
      }
    } else {
      rel = this.#resolve(path, o.followSymlinks);
      opened = this.vfs.open(rel, vo);
    }
    if (opened === 'directory') return new DirDescriptor(this.vfs, rel, this.readOnly, null);
    return new FileDescriptor(opened, { readable: read, writable: write, append: o.append, readOnlyMount: this.readOnly });
  }

  statAt(path: string, follow: boolean): VfsStat {
    // Stat the final component unfollowed first: unless it is a symlink, that is the answer,
    // and it saves the resolver's own lstat of it.
    const s = this.vfs.lstat(this.#resolve(path, false));
    if (!follow || s.type !== 'symbolic-link') return s;
    return this.vfs.lstat(this.#resolve(path, true));
  }

  setTimesAt(path: string, follow: boolean, atime: TimeSpec, mtime: TimeSpec): void {
    this.#mutable();
    this.vfs.setTimes(this.#resolve(path, follow), atime, mtime);
  }

  /** `mkdir("name/")` is allowed; an existing `name` of any kind (a dangling symlink too) is
   * EEXIST, never followed (Linux filename_create). */
  mkdirAt(path: string): void {
    this.#mutable();
    const rel = this.#resolve(splitTrailingSlash(path)[0], false);
    if (rel === '') throw fsError('EEXIST');
    this.vfs.mkdir(rel);
  }

  /** A trailing slash changes nothing (Linux do_rmdir): `rmdir("link/")` of a symlink to a
   * directory is ENOTDIR, as the link itself is no directory. */
  rmdirAt(path: string): void {
    this.#mutable();
    const rel = this.#resolve(splitTrailingSlash(path)[0], false);
    if (rel === '') throw fsError('EBUSY');
    this.vfs.rmdir(rel);
  }

  /** `unlink("name/")` never removes anything (Linux do_unlinkat): ENOENT when `name` is
   * missing, EISDIR for a directory, ENOTDIR for anything else (a symlink is not followed). */
  unlinkAt(path: string): void {
    this.#mutable();
    const [bare, slash] = splitTrailingSlash(path);
    const rel = this.#resolve(bare, false);
    if (rel === '') throw fsError('EISDIR');
    if (slash) throw fsError(this.vfs.lstat(rel).type === 'directory' ? 'EISDIR' : 'ENOTDIR');
    this.vfs.unlink(rel);
  }

  /** The target of the symlink at `path`. An absolute target is EPERM (cap-std's `read_link`,
   * which Wasmtime uses): it would show the guest a host path. */
  readlinkAt(path: string): string {
    const target = this.vfs.readlink(this.#resolve(path, false));
    if (target.charCodeAt(0) === 47 /* / */) throw fsError('EPERM');
    return target;
  }

  symlinkAt(target: string, path: string): void {
    this.#mutable();
    // cap-std refuses absolute targets ("a path led outside of the filesystem" -> EPERM) even
    // though following one is refused anyway: another program might follow it.
    if (target.startsWith('/')) throw fsError('EPERM');
    if (target.includes('\0')) throw fsError('EINVAL');
    this.vfs.symlink(target, this.#createName(path));
  }

  /**
   * The rel path of a non-directory to create at `path` (a symlink, a hard link), by Linux's
   * filename_create: the final name is not followed; if it exists (of any kind) EEXIST, else
   * a trailing slash is ENOENT ("you asked for a directory that is not there").
   */
  #createName(path: string): string {
    const [bare, slash] = splitTrailingSlash(path);
    const rel = this.#resolve(bare, false);
    if (rel === '') throw fsError('EEXIST');
    if (slash) {
      const type = this.vfs.typeOf !== undefined ? this.vfs.typeOf(rel) : this.vfs.lstat(rel).type;
      throw fsError(type === null ? 'ENOENT' : 'EEXIST');
    }
    return rel;
  }

  /** Renames `from` (here) to `to` in `dest`. Both must be on the same Vfs (else EXDEV). */
  renameAt(from: string, dest: DirDescriptor, to: string): void {
    this.#fromTo(from, dest, to, false);
  }

  /** Hard-links `from` (here, never following a final symlink) as `to` in `dest`. */
  linkAt(from: string, dest: DirDescriptor, to: string): void {
    this.#fromTo(from, dest, to, true);
  }

  /**
   * rename / link: both directories must allow mutation (EPERM), each path resolves against
   * its own directory without following its final component, and both must be on one Vfs
   * (EXDEV: two preopens are two trees even when they overlap on the host).
   */
  #fromTo(from: string, dest: DirDescriptor, to: string, link: boolean): void {
    this.#mutable();
    dest.#mutable();
    if (link) {
      // Linux linkat: the source with a trailing slash is looked up as a directory (so
      // `file/` is ENOTDIR, `dir/` reaches the directory: EPERM); then the new name is
      // created as by symlink (EEXIST, ENOENT for `new/`).
      const fromRel = this.#resolve(from, false);
      const toRel = dest.#createName(to);
      if (dest.vfs !== this.vfs) throw fsError('EXDEV');
      this.vfs.link(fromRel, toRel);
      return;
    }
    // Linux do_renameat2: trailing slashes are ignored, except that a source that is not a
    // directory (a symlink is not followed) with a slash on either name is ENOTDIR.
    const [fromBare, fromSlash] = splitTrailingSlash(from);
    const [toBare, toSlash] = splitTrailingSlash(to);
    const fromRel = this.#resolve(fromBare, false);
    const toRel = dest.#resolve(toBare, false);
    if (dest.vfs !== this.vfs) throw fsError('EXDEV');
    if (fromRel === '' || toRel === '') throw fsError('EBUSY');
    if ((fromSlash || toSlash) && this.vfs.lstat(fromRel).type !== 'directory') throw fsError('ENOTDIR');
    this.vfs.rename(fromRel, toRel);
  }

  /**
   * Directory entries (without `.`/`..`). Listed afresh when `fresh` (a readdir from the
   * start), otherwise the previous listing is reused so cookies stay stable across calls.
   */
  entries(fresh: boolean): VfsDirEntry[] {
    if (fresh || this.#entries === null) this.#entries = this.vfs.readdir(this.#self());
    return this.#entries;
  }
}
