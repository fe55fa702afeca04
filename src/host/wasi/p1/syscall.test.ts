import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARGS_ENV_SYSCALLS } from './args-env.ts';
import { CLOCKS_RANDOM_SYSCALLS } from './clocks-random.ts';
import { FD_SYSCALLS } from './fd.ts';
import { PATH_SYSCALLS } from './path.ts';
import { POLL_SYSCALLS } from './poll.ts';
import { PROC_SYSCALLS } from './proc.ts';
import { SOCK_SYSCALLS } from './sock.ts';
import { WASI_P1_FUNCTIONS } from './wasi-p1.ts';

/** Parameters of each function in wasi_snapshot_preview1.witx, as core Wasm passes them. */
const WITX_PARAMS: Readonly<Record<string, number>> = {
  args_get: 2, args_sizes_get: 2, environ_get: 2, environ_sizes_get: 2, clock_res_get: 2,
  clock_time_get: 3, fd_advise: 4, fd_allocate: 3, fd_close: 1, fd_datasync: 1, fd_sync: 1,
  fd_fdstat_get: 2, fd_fdstat_set_flags: 2, fd_fdstat_set_rights: 3, fd_filestat_get: 2,
  fd_filestat_set_size: 2, fd_filestat_set_times: 4, fd_pread: 5, fd_pwrite: 5, fd_read: 4,
  fd_write: 4, fd_prestat_get: 2, fd_prestat_dir_name: 3, fd_readdir: 5, fd_renumber: 2,
  fd_seek: 4, fd_tell: 2, path_create_directory: 3, path_filestat_get: 5,
  path_filestat_set_times: 7, path_link: 7, path_open: 9, path_readlink: 6,
  path_remove_directory: 3, path_rename: 6, path_symlink: 5, path_unlink_file: 3,
  poll_oneoff: 4, proc_exit: 1, proc_raise: 1, sched_yield: 0, random_get: 2, sock_accept: 3,
  sock_recv: 6, sock_send: 5, sock_shutdown: 2,
};

/** Syscalls that read only their first parameters (what they answer depends on no other). */
const PREFIX_ONLY = new Set(['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown']);

test('the witx groups define each p1 function exactly once, with its witx parameters', () => {
  const groups = [ARGS_ENV_SYSCALLS, CLOCKS_RANDOM_SYSCALLS, FD_SYSCALLS, PATH_SYSCALLS, POLL_SYSCALLS, PROC_SYSCALLS, SOCK_SYSCALLS];
  const names = groups.flatMap((g) => Object.keys(g));
  assert.deepEqual(names.toSorted(), [...WASI_P1_FUNCTIONS].sort());
  assert.deepEqual(Object.keys(WITX_PARAMS).sort(), [...WASI_P1_FUNCTIONS].sort());
  // The wrapper (syscall.ts) passes a syscall as many arguments as it declares after the state.
  for (const g of groups) {
    for (const [name, impl] of Object.entries(g)) {
      const declared = Math.max(impl.length - 1, 0);
      if (PREFIX_ONLY.has(name)) assert.ok(declared >= 1 && declared <= WITX_PARAMS[name]!, name);
      else assert.equal(declared, WITX_PARAMS[name], name);
    }
  }
});
