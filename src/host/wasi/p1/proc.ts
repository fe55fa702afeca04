// witx `proc_*` and `sched_yield`.
import type { SyscallGroup } from './syscall.ts';
import { ERRNO_NOTSUP, ERRNO_SUCCESS } from './wasi-defs.ts';

/**
 * Thrown by `proc_exit(code)` to unwind the guest; `start()` catches it and returns `code`.
 * Embedders calling exports directly (reactors) catch it themselves.
 */
export class ProcExit extends Error {
  override readonly name = 'ProcExit';
  readonly code: number;
  constructor(code: number) {
    super(`guest called proc_exit(${code})`);
    this.code = code;
  }
}

/** proc_exit, proc_raise, sched_yield. */
export const PROC_SYSCALLS: SyscallGroup = {
  proc_exit: (_s: unknown, code: number): never => {
    code >>>= 0;
    // Wasmtime: "exit with invalid exit status outside of [0..126)" is a trap.
    if (code >= 126) throw new WebAssembly.RuntimeError('exit with invalid exit status outside of [0..126)');
    throw new ProcExit(code);
  },
  // Wasmtime returns NOTSUP (not NOSYS): signals are not delivered to p1 guests.
  proc_raise: (_s: unknown, _sig: number): number => ERRNO_NOTSUP,
  sched_yield: (): number => ERRNO_SUCCESS,
};
