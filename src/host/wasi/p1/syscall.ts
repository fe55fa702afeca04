// THE wrapper every wasi_snapshot_preview1 import goes through: it binds a syscall to its
// instance's state, turns a thrown I/O error into the errno (P1State.fail over the one table in
// errno.ts; anything else traps), and, when a trace sink is given, logs the call (trace.ts).
import type { P1State } from './state.ts';
import { traceImport } from './trace.ts';

/**
 * A p1 syscall: the instance's state, then the witx arguments as Wasm passes them (i32 as
 * number, i64 as bigint). Returns the errno; may instead throw an FsError or a Node fs error (the
 * wrapper maps its `code`), a WebAssembly.RuntimeError (trap) or ProcExit.
 */
export type Syscall = (s: P1State, ...args: never[]) => number;

/** A syscall group: witx function name -> syscall. */
export type SyscallGroup = Readonly<Record<string, Syscall>>;

/** An import function as handed to `WebAssembly.Instance`. */
export type ImportFn = (...args: never[]) => unknown;

/**
 * The import function of `impl` for the instance `s`. No p1 function takes more than 9
 * parameters (path_open); fixed parameters, not a rest array, so a call allocates nothing.
 * @param readString decodes a guest string for the trace's path arguments (lossy UTF-8).
 */
export function bindSyscall(s: P1State, name: string, impl: Syscall,
  trace: ((line: string) => void) | undefined, readString: (ptr: number, len: number) => string): ImportFn {
  const call = impl as (s: P1State, ...args: unknown[]) => number;
  const fn = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown, g?: unknown, h?: unknown, i?: unknown): number => {
    try {
      return call(s, a, b, c, d, e, f, g, h, i);
    } catch (err) {
      return s.fail(err);
    }
  };
  return trace === undefined ? fn : traceImport(name, fn, trace, readString);
}
