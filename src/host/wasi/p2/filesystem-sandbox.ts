// wasi:filesystem@0.2.x (`types` + `preopens`) on the version-neutral context (../ctx.ts): the
// same descriptor table, cap on open descriptors, preopens, path confinement
// (src/sandbox/resolve.ts) and read-only rule as WASI p1. This file is a thin ABI layer: it
// converts WIT values (flags records, datetimes, new-timestamp variants) to the core's calls and
// the core's FsError / Node fs errors to `error-code` through ONE table (filesystem-error-code.ts).
// Errors are thrown as the WIT case name (`throw 'no-entry'`), which jco lowers into
// `result::err`; anything else (a bug) propagates and traps the instance.
import { DirDescriptor, FileDescriptor } from '../../../sandbox/descriptor.ts';
import type { FdTable } from '../../../sandbox/fd-table.ts';
import type { WasiCtx } from '../ctx.ts';
import type { TimeSpec, VfsDirEntry, VfsStat } from '../../../sandbox/vfs.ts';
import { ERROR_CODES, errorCodeOf } from './filesystem-error-code.ts';
import type { FilesystemErrorCode, FilesystemProvider } from './filesystem.ts';
import { InputStream, IoError, MAX_READ_BYTES, OutputStream, type ByteSink, type ByteSource } from './io.ts';

/** `wasi:filesystem/types.datetime` */
export interface Datetime { seconds: bigint; nanoseconds: number }
/** `wasi:filesystem/types.new-timestamp` */
export type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };
/** `wasi:filesystem/types.path-flags` */
export interface PathFlags { symlinkFollow?: boolean }
/** `wasi:filesystem/types.open-flags` */
export interface OpenFlags { create?: boolean; directory?: boolean; exclusive?: boolean; truncate?: boolean }
/** `wasi:filesystem/types.descriptor-flags` */
export interface DescriptorFlags {
  read?: boolean; write?: boolean; fileIntegritySync?: boolean; dataIntegritySync?: boolean;
  requestedWriteSync?: boolean; mutateDirectory?: boolean;
}
/** `wasi:filesystem/types.descriptor-stat` */
export interface DescriptorStat {
  type: string;
  linkCount: bigint;
  size: bigint;
  dataAccessTimestamp: Datetime | undefined;
  dataModificationTimestamp: Datetime | undefined;
  statusChangeTimestamp: Datetime | undefined;
}

const NS_PER_S = 1_000_000_000n;

function datetime(ns: bigint): Datetime {
  return { seconds: ns / NS_PER_S, nanoseconds: Number(ns % NS_PER_S) };
}

function toStat(s: VfsStat): DescriptorStat {
  return {
    type: s.type, linkCount: s.nlink, size: s.size,
    dataAccessTimestamp: datetime(s.atimNs),
    dataModificationTimestamp: datetime(s.mtimNs),
    statusChangeTimestamp: datetime(s.ctimNs),
  };
}

function toTimeSpec(t: NewTimestamp): TimeSpec {
  if (t.tag === 'no-change') return null;
  if (t.tag === 'now') return 'now';
  return t.val.seconds * NS_PER_S + BigInt(t.val.nanoseconds);
}

/** Runs `fn`, turning sandbox/host I/O errors into the thrown `error-code`. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = errorCodeOf(err);
    if (code === undefined) throw err;
    throw code;
  }
}

/** A stream's failure, carried as the `io-error`'s debug string so `filesystem-error-code` finds it. */
function streamFailure(err: unknown): string {
  const code = errorCodeOf(err);
  if (code === undefined) throw err;
  return code;
}

/**
 * The `error-code` for "too many open files": the instance's table is at its cap (maxOpenFds,
 * ../ctx.ts). WASI 0.2 has no EMFILE. Wasmtime never refuses for a count: its ResourceTable
 * (crates/wasmtime/src/runtime/component/resource_table.rs) is full only when its u32 keys run
 * out, and that `ResourceTableError::Full` is a trap (crates/wasi/src/p2/filesystem.rs,
 * `From<ResourceTableError> for FsError` -> `Self::trap`); a host EMFILE it reports as `io` (its
 * from_raw_os_error has no EMFILE case). wasmlet's cap is a per-tenant policy far below either,
 * so it is a guest error the guest can recover from (close some, open again), like p1's
 * ERRNO_MFILE, not a trap; and `insufficient-memory` ("not enough space", ENOMEM) names the
 * exhausted resource where `io` would report a device failure. The same mapping as a host
 * EMFILE/ENFILE in filesystem-error-code.ts; jco's preview1 adapter turns it into ERRNO_NOMEM,
 * which is also what the adapter answers when its own 128-slot table is full.
 */
const TOO_MANY_OPEN: FilesystemErrorCode = 'insufficient-memory';

/** `wasi:filesystem/types.directory-entry-stream`: a snapshot listing of one directory. */
export class DirectoryEntryStream {
  #entries: VfsDirEntry[];
  #next = 0;
  constructor(entries: VfsDirEntry[]) {
    this.#entries = entries;
  }
  /** `read-directory-entry`: the next entry, or `undefined` at the end. */
  readDirectoryEntry(): { type: string; name: string } | undefined {
    const e = this.#entries[this.#next];
    if (e === undefined) return undefined;
    this.#next++;
    return { type: e.type, name: e.name };
  }
}

/**
 * `wasi:filesystem/types.descriptor`: a file or directory of the sandbox core, an entry of the
 * instance's descriptor table (the context's, shared with nothing else). A preopen's handle
 * points at the preopen's own entry and owns nothing: dropping it closes nothing.
 */
export class Descriptor {
  #inner: FileDescriptor | DirDescriptor;
  #flags: DescriptorFlags;
  #table: FdTable;
  /** This descriptor's slot in `#table` while it owns one; -1 for a preopen's handle or once dropped. */
  #fd: number;

  /** @internal built by the host only (the WIT resource has no constructor). */
  constructor(inner: FileDescriptor | DirDescriptor, flags: DescriptorFlags, table: FdTable, fd: number) {
    this.#inner = inner;
    this.#flags = flags;
    this.#table = table;
    this.#fd = fd;
  }

  #file(): FileDescriptor {
    if (this.#inner instanceof FileDescriptor) return this.#inner;
    throw 'bad-descriptor' satisfies FilesystemErrorCode;
  }

  #dir(): DirDescriptor {
    if (this.#inner instanceof DirDescriptor) return this.#inner;
    throw 'not-directory' satisfies FilesystemErrorCode;
  }

  static #dirOf(other: unknown): DirDescriptor {
    if (!(other instanceof Descriptor)) throw 'bad-descriptor' satisfies FilesystemErrorCode;
    return other.#dir();
  }

  /** `read-via-stream`: reads from `offset` on, sequentially. */
  readViaStream(offset: bigint): InputStream {
    const file = this.#file();
    if (!file.readable) throw 'bad-descriptor' satisfies FilesystemErrorCode;
    let pos = Number(offset);
    let failure: string | undefined;
    const source: ByteSource = {
      read(max) {
        if (failure !== undefined) return null;
        const buf = new Uint8Array(Math.min(max, MAX_READ_BYTES));
        try {
          const n = file.pread(buf, 0, buf.length, pos);
          if (n === 0 && buf.length > 0) return null;
          pos += n;
          return buf.subarray(0, n);
        } catch (err) {
          failure = streamFailure(err);
          return null;
        }
      },
      ready: () => true,
      wait: () => Promise.resolve(),
      error: () => failure,
    };
    return new InputStream(source);
  }

  #writeStream(position: () => number, advance: (n: number) => void): OutputStream {
    const file = this.#file();
    if (!file.writable) throw 'bad-descriptor' satisfies FilesystemErrorCode;
    const sink: ByteSink = {
      write(bytes) {
        try {
          let done = 0;
          const at = position();
          while (done < bytes.length) done += file.pwrite(bytes, done, bytes.length - done, at + done);
          advance(done);
        } catch (err) {
          throw streamFailure(err);
        }
      },
    };
    return new OutputStream(sink);
  }

  /** `write-via-stream`: writes from `offset` on, sequentially. */
  writeViaStream(offset: bigint): OutputStream {
    let pos = Number(offset);
    return this.#writeStream(() => pos, (n) => { pos += n; });
  }

  /** `append-via-stream`: every write goes to the current end of the file. */
  appendViaStream(): OutputStream {
    const file = this.#file();
    return this.#writeStream(() => guard(() => Number(file.stat().size)), () => {});
  }

  /** `advise`: accepted and ignored (a hint). */
  advise(_offset: bigint, _length: bigint, _advice: string): void {
    this.#file();
  }

  /** `sync-data` */
  syncData(): void {
    if (this.#inner instanceof FileDescriptor) { const f = this.#inner; guard(() => f.datasync()); }
  }

  /** `sync` */
  sync(): void {
    if (this.#inner instanceof FileDescriptor) { const f = this.#inner; guard(() => f.sync()); }
  }

  /** `get-flags` */
  getFlags(): DescriptorFlags {
    return { ...this.#flags };
  }

  /** `get-type` */
  getType(): string {
    return this.#inner.type;
  }

  /** `set-size` */
  setSize(size: bigint): void {
    if (this.#inner instanceof DirDescriptor) throw 'is-directory' satisfies FilesystemErrorCode;
    const f = this.#inner;
    guard(() => f.setSize(Number(size)));
  }

  /** `set-times` */
  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    const inner = this.#inner;
    guard(() => inner.setTimes(toTimeSpec(atime), toTimeSpec(mtime)));
  }

  /** `read`: up to `length` bytes at `offset` (at most MAX_READ_BYTES: the guest picks the size). */
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const file = this.#file();
    if (!file.readable) throw 'bad-descriptor' satisfies FilesystemErrorCode;
    const len = length > BigInt(MAX_READ_BYTES) ? MAX_READ_BYTES : Number(length);
    const buf = new Uint8Array(len);
    const n = guard(() => file.pread(buf, 0, len, Number(offset)));
    return [buf.subarray(0, n), n < len];
  }

  /** `write`: `buffer` at `offset`; returns the bytes written. */
  write(buffer: Uint8Array, offset: bigint): bigint {
    const file = this.#file();
    if (!file.writable) throw 'bad-descriptor' satisfies FilesystemErrorCode;
    return guard(() => {
      let done = 0;
      const at = Number(offset);
      while (done < buffer.length) done += file.pwrite(buffer, done, buffer.length - done, at + done);
      return BigInt(done);
    });
  }

  /** `read-directory` */
  readDirectory(): DirectoryEntryStream {
    const dir = this.#dir();
    return new DirectoryEntryStream(guard(() => [...dir.entries(true)]));
  }

  /** `create-directory-at` */
  createDirectoryAt(path: string): void {
    const dir = this.#dir();
    guard(() => dir.mkdirAt(path));
  }

  /** `stat` */
  stat(): DescriptorStat {
    const inner = this.#inner;
    return toStat(guard(() => inner.stat()));
  }

  /** `stat-at` */
  statAt(pathFlags: PathFlags, path: string): DescriptorStat {
    const dir = this.#dir();
    return toStat(guard(() => dir.statAt(path, pathFlags.symlinkFollow === true)));
  }

  /** `set-times-at` */
  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    const dir = this.#dir();
    guard(() => dir.setTimesAt(path, pathFlags.symlinkFollow === true, toTimeSpec(atime), toTimeSpec(mtime)));
  }

  /** `link-at`: hard link; following a final symlink is refused with `invalid` (as Wasmtime). */
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const dir = this.#dir();
    const dest = Descriptor.#dirOf(newDescriptor);
    if (dir.readOnly || dest.readOnly) throw 'not-permitted' satisfies FilesystemErrorCode;
    if (oldPathFlags.symlinkFollow === true) throw 'invalid' satisfies FilesystemErrorCode;
    guard(() => dir.linkAt(oldPath, dest, newPath));
  }

  /** `open-at` */
  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    const dir = this.#dir();
    if (flags.mutateDirectory === true && dir.readOnly) throw 'not-permitted' satisfies FilesystemErrorCode;
    // Wasmtime refuses the sync flags it cannot honour rather than silently ignoring them.
    if (flags.fileIntegritySync === true || flags.dataIntegritySync === true || flags.requestedWriteSync === true) {
      throw 'unsupported' satisfies FilesystemErrorCode;
    }
    const table = this.#table;
    // Checked before opening, so a refused open takes no host fd.
    if (table.full) throw TOO_MANY_OPEN;
    const opened = guard(() => dir.openAt(path, {
      followSymlinks: pathFlags.symlinkFollow === true,
      create: openFlags.create === true,
      exclusive: openFlags.exclusive === true,
      truncate: openFlags.truncate === true,
      directory: openFlags.directory === true,
      read: flags.read === true,
      write: flags.write === true,
      append: false,
    }));
    if (opened instanceof DirDescriptor && flags.write === true) {
      try { opened.close(); } catch { /* refused either way */ }
      throw 'is-directory' satisfies FilesystemErrorCode;
    }
    return new Descriptor(opened, {
      read: flags.read === true,
      write: flags.write === true,
      mutateDirectory: opened instanceof DirDescriptor && flags.mutateDirectory === true && !dir.readOnly,
    }, table, table.push(opened));
  }

  /** `readlink-at` */
  readlinkAt(path: string): string {
    const dir = this.#dir();
    return guard(() => dir.readlinkAt(path));
  }

  /** `remove-directory-at` */
  removeDirectoryAt(path: string): void {
    const dir = this.#dir();
    guard(() => dir.rmdirAt(path));
  }

  /** `rename-at` */
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const dir = this.#dir();
    const dest = Descriptor.#dirOf(newDescriptor);
    guard(() => dir.renameAt(oldPath, dest, newPath));
  }

  /** `symlink-at` */
  symlinkAt(oldPath: string, newPath: string): void {
    const dir = this.#dir();
    guard(() => dir.symlinkAt(oldPath, newPath));
  }

  /** `unlink-file-at` */
  unlinkFileAt(path: string): void {
    const dir = this.#dir();
    guard(() => dir.unlinkAt(path));
  }

  /** `is-same-object`: same device and inode. */
  isSameObject(other: Descriptor): boolean {
    if (!(other instanceof Descriptor)) return false;
    try {
      const a = this.#inner.stat();
      const b = other.#inner.stat();
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  }

  /** `metadata-hash`: (device, inode), stable for one object while it exists. */
  metadataHash(): { upper: bigint; lower: bigint } {
    const inner = this.#inner;
    return hashOf(guard(() => inner.stat()));
  }

  /** `metadata-hash-at` */
  metadataHashAt(pathFlags: PathFlags, path: string): { upper: bigint; lower: bigint } {
    const dir = this.#dir();
    return hashOf(guard(() => dir.statAt(path, pathFlags.symlinkFollow === true)));
  }

  /** Resource drop: frees the table slot and releases the host file handle. */
  [Symbol.dispose](): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    // After the context's close() the slot is gone (closeAll emptied the table): nothing to free.
    if (this.#table.get(fd) !== this.#inner) return;
    this.#table.remove(fd);
    try { this.#inner.close(); } catch { /* already gone */ }
  }
}

function hashOf(s: VfsStat): { upper: bigint; lower: bigint } {
  return { upper: BigInt.asUintN(64, s.dev), lower: BigInt.asUintN(64, s.ino) };
}

/** `filesystem-error-code`: the error-code a file stream failed with, if it was one. */
function filesystemErrorCode(err: IoError): FilesystemErrorCode | undefined {
  const message = err instanceof IoError ? err.toDebugString() : undefined;
  return message !== undefined && ERROR_CODES.has(message) ? message as FilesystemErrorCode : undefined;
}

/** A filesystem provider for one instance, plus the teardown its runner calls. */
export interface SandboxFilesystem extends FilesystemProvider {
  /** Closes every descriptor the guest left open (host file handles): the context's close(). Idempotent. */
  closeAll(): void;
}

/**
 * Builds `wasi:filesystem/types` + `preopens` for ONE instance over its context: the context's
 * preopens and descriptor table (with its cap). Building it does no I/O (a host directory is
 * resolved on first use).
 */
export function createSandboxFilesystem(ctx: WasiCtx<unknown, unknown>): SandboxFilesystem {
  const table = ctx.table;
  const preopens = ctx.preopens;
  return {
    types: { Descriptor, DirectoryEntryStream, filesystemErrorCode },
    preopens: {
      // A handle on each preopen's own table entry; what is opened through one is pushed into
      // the table, so a drop or closeAll() closes its host file.
      getDirectories: (): [Descriptor, string][] => preopens.map(({ dir, guestPath, readOnly }) =>
        [new Descriptor(dir, { read: true, mutateDirectory: !readOnly }, table, -1), guestPath]),
    },
    closeAll() {
      ctx.close();
    },
  };
}
