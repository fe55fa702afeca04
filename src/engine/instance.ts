// The part of a run that happens on whichever thread executes the guest (the caller's thread, or
// a worker when there is a deadline): link, instantiate, call `_start` or the invoked export, and
// turn what went wrong into plain data that can cross a worker boundary.
import { WasmletError, isWasmletError } from '../util/errors.ts';
import type { Blame, WasmletErrorCode } from '../util/errors.ts';
import { ProcExit, WasiP1 } from '../host/wasi/p1/wasi-p1.ts';
import type { WasiP1Options } from '../host/wasi/p1/wasi-p1.ts';

/** A scalar an invoked export takes or returns (i64 as bigint). */
export type WasmValue = number | bigint;

/** What a finished guest produced. `results` is set for `invoke` runs (one entry per result). */
export interface Outcome { exitCode: number; results?: WasmValue[] }

/**
 * Why a run failed, as structured-clone data (no class instances). `trap`: the guest trapped;
 * `funcIndex`/`offset` come from V8's innermost `wasm-function[N]:0xOFF` frame when present.
 */
export type Failure =
  | { kind: 'trap'; message: string; funcIndex?: number; offset?: number }
  | { kind: 'error'; code: WasmletErrorCode; message: string; blame: Blame };

/**
 * Checks every import of `module` against `imports` before instantiating, so a module built for
 * another host fails with a message naming what is missing rather than V8's LinkError.
 * @throws WasmletError `WASMLET_ERR_UNKNOWN_IMPORT` (blame user) naming `module.name` and its kind.
 */
export function checkImports(module: WebAssembly.Module, imports: WebAssembly.Imports): void {
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = imports[imp.module];
    const value = ns ? (ns as Record<string, unknown>)[imp.name] : undefined;
    const where = `\`${imp.module}.${imp.name}\` (${imp.kind})`;
    if (value === undefined) {
      const hint = imp.module === 'wasi_snapshot_preview1'
        ? 'this WASI preview1 function is not implemented by wasmlet'
        : 'wasmlet provides only WASI preview1 (`wasi_snapshot_preview1`); the module was built for another host or needs a library linked in';
      throw new WasmletError('WASMLET_ERR_UNKNOWN_IMPORT', `unknown import ${where}: ${hint}`, { blame: 'user' });
    }
    const ok = imp.kind === 'function' ? typeof value === 'function'
      : imp.kind === 'memory' ? value instanceof WebAssembly.Memory
        : imp.kind === 'table' ? value instanceof WebAssembly.Table
          : true; // globals may be numbers or WebAssembly.Global; V8 checks the type
    if (!ok) {
      throw new WasmletError('WASMLET_ERR_UNKNOWN_IMPORT', `import ${where}: the host provides a different kind of item under that name — import it as the WASI preview1 host defines it`,
        { blame: 'user' });
    }
  }
}

/** Extracts the innermost Wasm frame (`wasm-function[N]:0xOFF`) from a V8 stack trace. */
export function innermostWasmFrame(stack: string | undefined): { funcIndex: number; offset: number } | undefined {
  const m = /wasm-function\[(\d+)\]:0x([0-9a-f]+)/.exec(stack ?? '');
  return m ? { funcIndex: Number(m[1]), offset: parseInt(m[2]!, 16) } : undefined;
}

/** Classifies anything thrown while the guest ran (a trap, a WasmletError, or a host bug). */
export function toFailure(err: unknown): Failure {
  if (isWasmletError(err)) return { kind: 'error', code: err.code, message: err.message, blame: err.blame };
  if (err instanceof WebAssembly.RuntimeError) {
    return { kind: 'trap', message: err.message, ...innermostWasmFrame(err.stack) };
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    const frame = innermostWasmFrame(err.stack);
    if (frame) return { kind: 'trap', message: 'call stack exhausted', ...frame };
  }
  if (err instanceof WebAssembly.LinkError) {
    return { kind: 'error', code: 'WASMLET_ERR_LINK', message: `the module could not be linked: ${err.message} — check that its imports match the signatures of the WASI host`, blame: 'user' };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'error', code: 'WASMLET_ERR_INTERNAL', message: `internal error while running the guest: ${message}`, blame: 'host' };
}

/** Parses command-line text into the value an export's parameter takes (i64 as bigint). */
function toWasmValue(text: string, type: string | undefined): WasmValue {
  if (type === 'i64') return BigInt(text);
  const n = Number(text);
  if (Number.isNaN(n)) throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `'${text}' is not a number — pass each export argument as a number (integers for i32/i64)`, { blame: 'user' });
  return n;
}

/** What {@link runInstance} needs besides the module. */
export interface InstanceRequest {
  wasi: WasiP1Options;
  /** Call this export (after `_initialize`) instead of `_start`. */
  invoke?: string;
  /** Arguments for `invoke`, as text; converted per `invokeParams` (i64 -> bigint, others -> number). */
  invokeArgs?: string[];
  /** The export's parameter types when known (from the binary), e.g. `['i32', 'i64']`. */
  invokeParams?: string[];
}

/**
 * Instantiates `module` with a fresh WASI preview1 host and runs it to completion on this thread.
 * A command runs `_start`; its `proc_exit(n)` is `exitCode: n`, returning normally is 0.
 * @throws whatever the guest or host threw; pass it to {@link toFailure}.
 */
export function runInstance(module: WebAssembly.Module, request: InstanceRequest): Outcome {
  const wasi = new WasiP1(request.wasi);
  try {
    checkImports(module, wasi.imports);
    const instance = new WebAssembly.Instance(module, wasi.imports);
    if (request.invoke === undefined) {
      if (typeof instance.exports['_start'] !== 'function') {
        throw new WasmletError('WASMLET_ERR_NO_START',
          'the module exports no `_start` function, so it is not a WASI command; to call a function of a reactor module use --invoke NAME',
          { blame: 'user' });
      }
      return { exitCode: wasi.start(instance) };
    }
    const fn = instance.exports[request.invoke];
    if (typeof fn !== 'function') {
      const names = Object.entries(instance.exports).filter(([, v]) => typeof v === 'function').map(([k]) => k);
      throw new WasmletError('WASMLET_ERR_NO_EXPORT',
        `the module exports no function named \`${request.invoke}\` (exported functions: ${names.join(', ') || 'none'})`,
        { blame: 'user' });
    }
    const args = (request.invokeArgs ?? []).map((a, i) => toWasmValue(a, request.invokeParams?.[i]));
    let result: unknown;
    try {
      wasi.initialize(instance);
      result = (fn as (...a: WasmValue[]) => unknown)(...args);
    } catch (err) {
      if (err instanceof ProcExit) return { exitCode: err.code }; // a reactor may exit too
      throw err;
    }
    const results = result === undefined ? [] : Array.isArray(result) ? result as WasmValue[] : [result as WasmValue];
    return { exitCode: 0, results };
  } finally {
    wasi.dispose();
  }
}
