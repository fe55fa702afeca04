// witx `sock_*`. Wasmtime gives p1 no sockets: any open fd is NOTSOCK, a closed one BADF.
import type { P1State } from './state.ts';
import type { SyscallGroup } from './syscall.ts';
import { ERRNO_BADF, ERRNO_NOTSOCK } from './wasi-defs.ts';

function notSocket(s: P1State, fd: number): number {
  return s.table.get(fd) === undefined ? ERRNO_BADF : ERRNO_NOTSOCK;
}

/** sock_accept, sock_recv, sock_send, sock_shutdown. */
export const SOCK_SYSCALLS: SyscallGroup = {
  sock_accept: notSocket,
  sock_recv: notSocket,
  sock_send: notSocket,
  sock_shutdown: notSocket,
};
