// witx `fd_*`: operations on an open descriptor of the context's table.
import {
  DirDescriptor, FileDescriptor, InputStreamDescriptor, OutputStreamDescriptor, type Whence,
} from '../../../sandbox/descriptor.ts';
import type { FileType } from '../../../sandbox/vfs.ts';
import type { P1State } from './state.ts';
import { FILETYPE, oob, timeSpec, toNum } from './state.ts';
import type { SyscallGroup } from './syscall.ts';
import {
  ADVICE_NOREUSE, ERRNO_BADF, ERRNO_INVAL, ERRNO_NAMETOOLONG, ERRNO_NOTDIR, ERRNO_NOTSUP, ERRNO_SUCCESS,
  FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC, FSTFLAGS_ATIM,
  FSTFLAGS_ATIM_NOW, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW, RIGHTS_ALL, RIGHTS_FD_ADVISE, RIGHTS_FD_ALLOCATE,
  RIGHTS_FD_DATASYNC, RIGHTS_FD_FDSTAT_SET_FLAGS, RIGHTS_FD_FILESTAT_GET, RIGHTS_FD_FILESTAT_SET_SIZE,
  RIGHTS_FD_FILESTAT_SET_TIMES, RIGHTS_FD_READ, RIGHTS_FD_READDIR, RIGHTS_FD_SEEK, RIGHTS_FD_SYNC,
  RIGHTS_FD_TELL, RIGHTS_FD_WRITE, RIGHTS_PATH_CREATE_DIRECTORY, RIGHTS_PATH_CREATE_FILE,
  RIGHTS_PATH_FILESTAT_GET, RIGHTS_PATH_FILESTAT_SET_SIZE, RIGHTS_PATH_FILESTAT_SET_TIMES,
  RIGHTS_PATH_LINK_SOURCE, RIGHTS_PATH_LINK_TARGET, RIGHTS_PATH_OPEN, RIGHTS_PATH_READLINK,
  RIGHTS_PATH_REMOVE_DIRECTORY, RIGHTS_PATH_RENAME_SOURCE, RIGHTS_PATH_RENAME_TARGET,
  RIGHTS_PATH_SYMLINK, RIGHTS_PATH_UNLINK_FILE, RIGHTS_POLL_FD_READWRITE, WHENCE_CUR, WHENCE_END, WHENCE_SET,
} from './wasi-defs.ts';

const encoder = new TextEncoder();

/** Rights Wasmtime reports for a preopened directory (hard-coded, "expected by many userlands"). */
const PREOPEN_RIGHTS_BASE = RIGHTS_PATH_CREATE_DIRECTORY | RIGHTS_PATH_CREATE_FILE | RIGHTS_PATH_LINK_SOURCE
  | RIGHTS_PATH_LINK_TARGET | RIGHTS_PATH_OPEN | RIGHTS_FD_READDIR | RIGHTS_PATH_READLINK
  | RIGHTS_PATH_RENAME_SOURCE | RIGHTS_PATH_RENAME_TARGET | RIGHTS_PATH_SYMLINK | RIGHTS_PATH_REMOVE_DIRECTORY
  | RIGHTS_PATH_UNLINK_FILE | RIGHTS_PATH_FILESTAT_GET | RIGHTS_PATH_FILESTAT_SET_TIMES | RIGHTS_FD_FILESTAT_GET
  | RIGHTS_FD_FILESTAT_SET_TIMES;
const PREOPEN_RIGHTS_INHERITING = PREOPEN_RIGHTS_BASE | RIGHTS_FD_DATASYNC | RIGHTS_FD_READ | RIGHTS_FD_SEEK
  | RIGHTS_FD_FDSTAT_SET_FLAGS | RIGHTS_FD_SYNC | RIGHTS_FD_TELL | RIGHTS_FD_WRITE | RIGHTS_FD_ADVISE
  | RIGHTS_FD_ALLOCATE | RIGHTS_FD_FILESTAT_GET | RIGHTS_FD_FILESTAT_SET_SIZE | RIGHTS_FD_FILESTAT_SET_TIMES
  | RIGHTS_POLL_FD_READWRITE;
/** Rights of a directory opened with path_open (Wasmtime: all, minus seek/size, minus write). */
const DIR_RIGHTS = RIGHTS_ALL & ~(RIGHTS_FD_SEEK | RIGHTS_FD_FILESTAT_SET_SIZE | RIGHTS_PATH_FILESTAT_SET_SIZE | RIGHTS_FD_WRITE);

const WHENCE: readonly Whence[] = ['set', 'cur', 'end'];
void WHENCE_SET; void WHENCE_CUR; void WHENCE_END; // indices of WHENCE above

/** Writes back buffered file data before an operation that may observe it (fd-table.ts contract). */
function flush(s: P1State): void {
  if (s.table.dirty !== null) s.table.flushPending();
}

/** Every `fd_*` function. */
export const FD_SYSCALLS: SyscallGroup = {
  fd_advise: (s: P1State, fd: number, _offset: bigint, _len: bigint, advice: number): number => {
    if (advice < 0 || advice > ADVICE_NOREUSE) return ERRNO_INVAL;
    flush(s);
    if (!(s.get(fd) instanceof FileDescriptor)) return ERRNO_BADF;
    return ERRNO_SUCCESS; // advisory only; Node has no posix_fadvise
  },
  // Wasmtime: NOTSUP for files (WASI 0.2 dropped allocate), BADF otherwise.
  fd_allocate: (s: P1State, fd: number, _offset: bigint, _len: bigint): number =>
    (s.get(fd) instanceof FileDescriptor ? ERRNO_NOTSUP : ERRNO_BADF),
  fd_close: (s: P1State, fd: number): number => {
    const d = s.table.remove(fd);
    if (d === undefined) return ERRNO_BADF;
    s.table.flushPending();
    d.close();
    return ERRNO_SUCCESS;
  },
  fd_datasync: (s: P1State, fd: number): number => {
    flush(s);
    s.get(fd).datasync();
    return ERRNO_SUCCESS;
  },
  fd_sync: (s: P1State, fd: number): number => {
    flush(s);
    s.get(fd).sync();
    return ERRNO_SUCCESS;
  },
  fd_fdstat_get: (s: P1State, fd: number, out: number): number => {
    const d = s.get(fd);
    s.refresh();
    out >>>= 0;
    let base: bigint;
    let inheriting: bigint;
    let flags = 0;
    if (d instanceof InputStreamDescriptor) {
      base = inheriting = RIGHTS_FD_READ;
    } else if (d instanceof OutputStreamDescriptor) {
      base = inheriting = RIGHTS_FD_WRITE;
    } else if (d instanceof DirDescriptor) {
      if (d.preopenPath !== null) {
        base = PREOPEN_RIGHTS_BASE;
        inheriting = PREOPEN_RIGHTS_INHERITING;
      } else {
        base = inheriting = DIR_RIGHTS;
      }
    } else if (d instanceof FileDescriptor) {
      base = RIGHTS_ALL;
      if (!d.readable) base &= ~(RIGHTS_FD_READ | RIGHTS_FD_READDIR);
      if (!d.writable) base &= ~RIGHTS_FD_WRITE;
      inheriting = base;
      if (d.append) flags |= FDFLAGS_APPEND;
      if (d.nonblock) flags |= FDFLAGS_NONBLOCK;
    } else {
      base = inheriting = 0n;
    }
    if (out + 24 > s.u8.length) oob();
    s.dv.setBigUint64(out, 0n, true);
    s.u8[out] = FILETYPE[d.type];
    s.dv.setUint16(out + 2, flags, true);
    s.dv.setBigUint64(out + 8, base, true);
    s.dv.setBigUint64(out + 16, inheriting, true);
    return ERRNO_SUCCESS;
  },
  fd_fdstat_set_flags: (s: P1State, fd: number, flags: number): number => {
    const d = s.get(fd);
    if (!(d instanceof FileDescriptor)) return ERRNO_BADF;
    // Wasmtime: only APPEND and NONBLOCK can change; the sync flags are INVAL.
    if ((flags & (FDFLAGS_DSYNC | FDFLAGS_SYNC | FDFLAGS_RSYNC)) !== 0) return ERRNO_INVAL;
    d.flush();
    d.append = (flags & FDFLAGS_APPEND) !== 0;
    d.nonblock = (flags & FDFLAGS_NONBLOCK) !== 0;
    return ERRNO_SUCCESS;
  },
  fd_fdstat_set_rights: (s: P1State, fd: number, _base: bigint, _inheriting: bigint): number => {
    const d = s.get(fd);
    // Wasmtime: NOTSUP for files and directories, BADF for stdio.
    return d instanceof FileDescriptor || d instanceof DirDescriptor ? ERRNO_NOTSUP : ERRNO_BADF;
  },
  fd_filestat_get: (s: P1State, fd: number, out: number): number => {
    flush(s);
    const st = s.get(fd).stat();
    s.refresh();
    s.writeFilestat(out >>> 0, st);
    return ERRNO_SUCCESS;
  },
  fd_filestat_set_size: (s: P1State, fd: number, size: bigint): number => {
    flush(s);
    s.get(fd).setSize(toNum(size));
    return ERRNO_SUCCESS;
  },
  fd_filestat_set_times: (s: P1State, fd: number, atim: bigint, mtim: bigint, fst: number): number => {
    const a = timeSpec(fst, atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW);
    const m = timeSpec(fst, mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW);
    flush(s);
    s.get(fd).setTimes(a, m);
    return ERRNO_SUCCESS;
  },
  fd_pread: (s: P1State, fd: number, iovs: number, iovsLen: number, offset: bigint, out: number): number => {
    flush(s);
    const total = s.iov(s.get(fd), iovs, iovsLen, toNum(offset), false);
    s.dv.setUint32(out >>> 0, total, true);
    return ERRNO_SUCCESS;
  },
  fd_pwrite: (s: P1State, fd: number, iovs: number, iovsLen: number, offset: bigint, out: number): number => {
    flush(s);
    const total = s.iov(s.get(fd), iovs, iovsLen, toNum(offset), true);
    s.dv.setUint32(out >>> 0, total, true);
    return ERRNO_SUCCESS;
  },
  fd_read: (s: P1State, fd: number, iovs: number, iovsLen: number, out: number): number => {
    flush(s);
    const total = s.iov(s.get(fd), iovs, iovsLen, -1, false);
    s.dv.setUint32(out >>> 0, total, true);
    return ERRNO_SUCCESS;
  },
  fd_write: (s: P1State, fd: number, iovs: number, iovsLen: number, out: number): number => {
    const table = s.table;
    const d = table.get(fd);
    if (d === undefined) return ERRNO_BADF;
    const dirty = table.dirty;
    if (dirty !== null && dirty !== d) table.flushPending();
    const total = s.iov(d, iovs, iovsLen, -1, true);
    if (d instanceof FileDescriptor && d.dirty) table.markDirty(d);
    s.dv.setUint32(out >>> 0, total, true);
    return ERRNO_SUCCESS;
  },
  fd_prestat_get: (s: P1State, fd: number, out: number): number => {
    const d = s.table.get(fd);
    // Wasmtime (legacy behaviour): BADF for anything that is not a preopen.
    if (!(d instanceof DirDescriptor) || d.preopenPath === null) return ERRNO_BADF;
    s.refresh();
    out >>>= 0;
    s.dv.setUint32(out, 0, true); // tag PREOPENTYPE_DIR + padding
    s.dv.setUint32(out + 4, encoder.encode(d.preopenPath).length, true);
    return ERRNO_SUCCESS;
  },
  fd_prestat_dir_name: (s: P1State, fd: number, path: number, pathLen: number): number => {
    const d = s.get(fd);
    // Wasmtime (legacy behaviour): NOTDIR for an fd that is not a preopen.
    if (!(d instanceof DirDescriptor) || d.preopenPath === null) return ERRNO_NOTDIR;
    const name = encoder.encode(d.preopenPath);
    if (name.length > pathLen >>> 0) return ERRNO_NAMETOOLONG;
    s.refresh();
    path >>>= 0;
    if (path + name.length > s.u8.length) oob();
    s.u8.set(name, path);
    return ERRNO_SUCCESS;
  },
  fd_readdir: (s: P1State, fd: number, buf: number, bufLen: number, cookie: bigint, out: number): number => {
    flush(s);
    const d = s.dir(fd);
    const dirIno = d.stat().ino;
    const entries = d.entries(cookie === 0n);
    s.refresh();
    buf >>>= 0;
    bufLen >>>= 0;
    if (buf + bufLen > s.u8.length) oob();
    const head = new Uint8Array(24);
    const hv = new DataView(head.buffer);
    let used = 0;
    const count = entries.length + 2;
    for (let i = cookie > BigInt(count) ? count : Number(cookie); i < count; i++) {
      let name: string; let ino: bigint; let type: FileType;
      if (i < 2) { name = i === 0 ? '.' : '..'; ino = dirIno; type = 'directory'; }
      else { const e = entries[i - 2]!; name = e.name; ino = e.ino; type = e.type; }
      const nameBytes = encoder.encode(name);
      hv.setBigUint64(0, BigInt(i + 1), true);
      hv.setBigUint64(8, BigInt.asUintN(64, ino), true);
      hv.setUint32(16, nameBytes.length, true);
      hv.setUint32(20, FILETYPE[type], true);
      const h = Math.min(24, bufLen - used);
      s.u8.set(head.subarray(0, h), buf + used);
      used += h;
      if (used === bufLen) break;
      const n = Math.min(nameBytes.length, bufLen - used);
      s.u8.set(nameBytes.subarray(0, n), buf + used);
      used += n;
      if (used === bufLen) break;
    }
    s.dv.setUint32(out >>> 0, used, true);
    return ERRNO_SUCCESS;
  },
  fd_renumber: (s: P1State, from: number, to: number): number => {
    flush(s);
    const old = s.table.renumber(from, to);
    if (old === null) return ERRNO_BADF;
    if (old !== undefined) {
      try { old.close(); } catch { /* the replaced descriptor is gone either way */ }
    }
    return ERRNO_SUCCESS;
  },
  fd_seek: (s: P1State, fd: number, offset: bigint, whence: number, out: number): number => {
    flush(s);
    const d = s.get(fd);
    const w = WHENCE[whence];
    if (w === undefined) { d.tell(); return ERRNO_INVAL; } // BADF/SPIPE take precedence
    if (offset > BigInt(Number.MAX_SAFE_INTEGER) || offset < -BigInt(Number.MAX_SAFE_INTEGER)) { d.tell(); return ERRNO_INVAL; }
    const pos = d.seek(Number(offset), w);
    s.refresh();
    s.dv.setBigUint64(out >>> 0, BigInt(pos), true);
    return ERRNO_SUCCESS;
  },
  fd_tell: (s: P1State, fd: number, out: number): number => {
    const pos = s.get(fd).tell();
    s.refresh();
    s.dv.setBigUint64(out >>> 0, BigInt(pos), true);
    return ERRNO_SUCCESS;
  },
};
