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
 * The import function of `impl` for the instance `s`: `impl` bound to `s`, with a thrown I/O
 * error turned into its errno. One wrapper per arity (p1 functions take 0 to 9 parameters, as
 * declared by `impl` after `s`): a call passes exactly the arguments Wasm gave, allocates nothing,
 * and each wrapper's call site sees only the syscalls of its arity.
 * @param readString decodes a guest string for the trace's path arguments (lossy UTF-8).
 */
export function bindSyscall(s: P1State, name: string, impl: Syscall,
  trace: ((line: string) => void) | undefined, readString: ((ptr: number, len: number) => string) | undefined): ImportFn {
  const fn = wrap(s, impl as Impl);
  return trace === undefined || readString === undefined ? fn : traceImport(name, fn, trace, readString);
}

type Impl = (s: P1State, ...args: unknown[]) => number;
type A = unknown;

function wrap(s: P1State, f: Impl): ImportFn {
  switch (f.length - 1) {
    case 0: return (): number => { try { return f(s); } catch (e) { return s.fail(e); } };
    case 1: return (a: A): number => { try { return f(s, a); } catch (e) { return s.fail(e); } };
    case 2: return (a: A, b: A): number => { try { return f(s, a, b); } catch (e) { return s.fail(e); } };
    case 3: return (a: A, b: A, c: A): number => { try { return f(s, a, b, c); } catch (e) { return s.fail(e); } };
    case 4: return (a: A, b: A, c: A, d: A): number => { try { return f(s, a, b, c, d); } catch (e) { return s.fail(e); } };
    case 5: return (a: A, b: A, c: A, d: A, e: A): number => { try { return f(s, a, b, c, d, e); } catch (x) { return s.fail(x); } };
    case 6: return (a: A, b: A, c: A, d: A, e: A, g: A): number => { try { return f(s, a, b, c, d, e, g); } catch (x) { return s.fail(x); } };
    case 7: return (a: A, b: A, c: A, d: A, e: A, g: A, h: A): number => { try { return f(s, a, b, c, d, e, g, h); } catch (x) { return s.fail(x); } };
    default: return (a: A, b: A, c: A, d: A, e: A, g: A, h: A, i: A, j: A): number => {
      try { return f(s, a, b, c, d, e, g, h, i, j); } catch (x) { return s.fail(x); }
    };
  }
}
