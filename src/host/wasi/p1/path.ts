// witx `path_*`: operations on a path relative to a directory descriptor, confined to it by the
// sandbox core (src/sandbox/resolve.ts).
import { DirDescriptor, FileDescriptor } from '../../../sandbox/descriptor.ts';
import type { P1State } from './state.ts';
import { oob, timeSpec } from './state.ts';
import type { SyscallGroup } from './syscall.ts';
import {
  ERRNO_BADF, ERRNO_INVAL, ERRNO_MFILE, ERRNO_NOTDIR, ERRNO_NOTSUP, ERRNO_PERM, ERRNO_SUCCESS,
  FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC, FSTFLAGS_ATIM,
  FSTFLAGS_ATIM_NOW, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW, LOOKUPFLAGS_SYMLINK_FOLLOW, OFLAGS_CREAT,
  OFLAGS_DIRECTORY, OFLAGS_EXCL, OFLAGS_TRUNC, RIGHTS_FD_READ, RIGHTS_FD_WRITE,
} from './wasi-defs.ts';

const encoder = new TextEncoder();

/** Every `path_*` function. */
export const PATH_SYSCALLS: SyscallGroup = {
  path_create_directory: (s: P1State, fd: number, path: number, pathLen: number): number => {
    s.dirAt(fd).mkdirAt(s.path(path, pathLen));
    return ERRNO_SUCCESS;
  },
  path_filestat_get: (s: P1State, fd: number, flags: number, path: number, pathLen: number, out: number): number => {
    const st = s.dirAt(fd).statAt(s.path(path, pathLen), (flags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0);
    s.writeFilestat(out >>> 0, st);
    return ERRNO_SUCCESS;
  },
  path_filestat_set_times: (s: P1State, fd: number, flags: number, path: number, pathLen: number, atim: bigint, mtim: bigint, fst: number): number => {
    const a = timeSpec(fst, atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW);
    const m = timeSpec(fst, mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW);
    s.dirAt(fd).setTimesAt(s.path(path, pathLen), (flags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0, a, m);
    return ERRNO_SUCCESS;
  },
  path_link: (s: P1State, oldFd: number, oldFlags: number, oldPath: number, oldLen: number, newFd: number, newPath: number, newLen: number): number => {
    const src = s.dirAt(oldFd);
    const dst = s.dir(newFd);
    const from = s.path(oldPath, oldLen);
    const to = s.path(newPath, newLen);
    // Wasmtime link_at: both dirs must allow mutation (PERM), then SYMLINK_FOLLOW is INVAL.
    if (src.readOnly || dst.readOnly) return ERRNO_PERM;
    if ((oldFlags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0) return ERRNO_INVAL;
    src.linkAt(from, dst, to);
    return ERRNO_SUCCESS;
  },
  path_open: (s: P1State, fd: number, dirflags: number, path: number, pathLen: number, oflags: number, rightsBase: bigint, _rightsInheriting: bigint, fdflags: number, out: number): number => {
    const table = s.table;
    if (table.dirty !== null) table.flushPending();
    s.refresh();
    const p = s.path(path, pathLen);
    const d = table.get(fd);
    if (d instanceof FileDescriptor) return ERRNO_NOTDIR;
    if (!(d instanceof DirDescriptor)) return ERRNO_BADF;
    const create = (oflags & OFLAGS_CREAT) !== 0;
    const truncate = (oflags & OFLAGS_TRUNC) !== 0;
    const write = (rightsBase & RIGHTS_FD_WRITE) !== 0n;
    // Wasmtime open_at order: read-only preopen refuses create/truncate/write (PERM) first,
    // then the sync fdflags are unsupported (NOTSUP).
    if (d.readOnly && (create || truncate || write)) return ERRNO_PERM;
    if ((fdflags & (FDFLAGS_SYNC | FDFLAGS_DSYNC | FDFLAGS_RSYNC)) !== 0) return ERRNO_NOTSUP;
    if (table.full) return ERRNO_MFILE; // before opening: no host fd is taken in vain
    const opened = d.openAt(p, {
      followSymlinks: (dirflags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0,
      create,
      exclusive: (oflags & OFLAGS_EXCL) !== 0,
      truncate,
      directory: (oflags & OFLAGS_DIRECTORY) !== 0,
      read: (rightsBase & RIGHTS_FD_READ) !== 0n,
      write,
      append: (fdflags & FDFLAGS_APPEND) !== 0,
    });
    if (opened instanceof FileDescriptor) opened.nonblock = (fdflags & FDFLAGS_NONBLOCK) !== 0;
    const newFd = table.push(opened);
    s.dv.setUint32(out >>> 0, newFd, true);
    return ERRNO_SUCCESS;
  },
  path_readlink: (s: P1State, fd: number, path: number, pathLen: number, buf: number, bufLen: number, out: number): number => {
    const target = encoder.encode(s.dirAt(fd).readlinkAt(s.path(path, pathLen)));
    const n = Math.min(target.length, bufLen >>> 0);
    buf >>>= 0;
    if (buf + n > s.u8.length) oob();
    s.u8.set(target.subarray(0, n), buf);
    s.dv.setUint32(out >>> 0, n, true);
    return ERRNO_SUCCESS;
  },
  path_remove_directory: (s: P1State, fd: number, path: number, pathLen: number): number => {
    s.dirAt(fd).rmdirAt(s.path(path, pathLen));
    return ERRNO_SUCCESS;
  },
  path_rename: (s: P1State, fd: number, oldPath: number, oldLen: number, newFd: number, newPath: number, newLen: number): number => {
    const src = s.dirAt(fd);
    const dst = s.dir(newFd);
    src.renameAt(s.path(oldPath, oldLen), dst, s.path(newPath, newLen));
    return ERRNO_SUCCESS;
  },
  path_symlink: (s: P1State, oldPath: number, oldLen: number, fd: number, newPath: number, newLen: number): number => {
    s.dirAt(fd).symlinkAt(s.path(oldPath, oldLen), s.path(newPath, newLen));
    return ERRNO_SUCCESS;
  },
  path_unlink_file: (s: P1State, fd: number, path: number, pathLen: number): number => {
    s.dirAt(fd).unlinkAt(s.path(path, pathLen));
    return ERRNO_SUCCESS;
  },
};
