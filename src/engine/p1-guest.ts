// The one place a WASI preview1 core module is linked, instantiated and run: `wasmlet run`
// (instance.ts, in-process or on a worker) and the WAGI executor's pool workers both go through
// here. What can be done once per module (the import check, the list of WASI functions it
// imports, its recycled-memory pool) is done by `prepareP1Guest`; `runP1Guest` is the per-call
// hot path: one WasiP1 host, one `WebAssembly.Instance`, one call.
import { WasmletError } from '../util/errors.ts';
import { ProcExit, WasiP1, wasiP1ImportNames } from '../host/wasi/p1/wasi-p1.ts';
import type { WasiP1Options } from '../host/wasi/p1/wasi-p1.ts';
import { MemoryPool, RECYCLED_MEMORY_MODULE, findRecycledMemoryImport } from './component/recycled-memory.ts';

/** A scalar an invoked export takes or returns (i64 as bigint). */
export type WasmValue = number | bigint;

/** A p1 module ready to instantiate: checked once, per thread that runs it. */
export interface P1Guest {
  readonly module: WebAssembly.Module;
  /** The `wasi_snapshot_preview1` functions the module imports: only these are built per call. */
  readonly wasiImports: readonly string[];
  /**
   * Zeroed memories for the module's recycled-memory import (a module rewritten at prepare time
   * by `rewriteMemoryAsImport`, see prepare-module.ts), or undefined when it defines its own.
   */
  readonly memories: MemoryPool | undefined;
}

/**
 * An export call instead of `_start` (a reactor: `_initialize` runs first). `results` is written
 * by {@link runP1Guest} (one entry per Wasm result), so a caller that reuses one object per unit
 * allocates nothing per call.
 */
export interface P1Call {
  name: string;
  args: readonly WasmValue[];
  results?: WasmValue[];
}

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

/**
 * Prepares `module` to be run many times on this thread: checks its imports against the p1 host
 * (once, not per call: a module built for another host fails with the same clear error every
 * time instead of a LinkError), lists the WASI functions it imports, and makes its memory pool.
 * @throws WasmletError `WASMLET_ERR_UNKNOWN_IMPORT` (blame user), see {@link checkImports}.
 */
export function prepareP1Guest(module: WebAssembly.Module): P1Guest {
  const recycled = findRecycledMemoryImport(module);
  const memories = recycled ? new MemoryPool(recycled.initialPages, recycled.maximumPages) : undefined;
  const probe = new WasiP1({ args: [], env: {}, preopens: [] });
  try {
    const imports: WebAssembly.Imports = { ...probe.imports };
    if (memories) imports[RECYCLED_MEMORY_MODULE] = { [memories.field]: new WebAssembly.Memory({ initial: 0 }) };
    checkImports(module, imports);
  } finally { probe.dispose(); }
  return { module, wasiImports: wasiP1ImportNames(module), memories };
}

/**
 * Checks that `guest` exports function `name` (an entrypoint named in a manifest), at prepare time.
 * @throws WasmletError `WASMLET_ERR_NO_EXPORT` (blame user) naming `what` (e.g. "the WAGI entrypoint").
 */
export function requireExport(guest: P1Guest, name: string, what: string): void {
  if (!WebAssembly.Module.exports(guest.module).some((e) => e.name === name && e.kind === 'function')) {
    throw new WasmletError('WASMLET_ERR_NO_EXPORT', `the module exports no function \`${name}\` (${what})`, { blame: 'user' });
  }
}

/**
 * Instantiates `guest` with a fresh WASI preview1 host built from `wasi` (plain grants: args, env,
 * preopens, stdio) and runs it to completion on this thread: `_start` without `call` (a command;
 * its `proc_exit(n)` is n, returning normally is 0), else `_initialize` then the export
 * `call.name` (its results land in `call.results`; a `proc_exit` in it is its code). A recycled
 * memory is returned to the pool afterwards: a p1 instance never runs again once this returns.
 * `onInstantiated` is called once the instance exists, before the guest runs (tracing).
 * @returns the exit code.
 * @throws WasmletError `WASMLET_ERR_NO_START`, `WASMLET_ERR_NO_EXPORT` (blame user), and whatever
 *   the guest or host threw (a trap: `WebAssembly.RuntimeError`); pass it to `toFailure`.
 */
export function runP1Guest(guest: P1Guest, wasi: WasiP1Options, call?: P1Call, onInstantiated?: () => void): number {
  const host = new WasiP1(wasi.only ? wasi : { ...wasi, only: guest.wasiImports });
  const memories = guest.memories;
  const memory = memories?.acquire();
  try {
    const imports = memory
      ? { wasi_snapshot_preview1: host.imports['wasi_snapshot_preview1']!, [RECYCLED_MEMORY_MODULE]: { [memories!.field]: memory } }
      : host.imports;
    const instance = new WebAssembly.Instance(guest.module, imports);
    onInstantiated?.();
    if (call === undefined) {
      if (typeof instance.exports['_start'] !== 'function') {
        throw new WasmletError('WASMLET_ERR_NO_START',
          'the module exports no `_start` function, so it is not a WASI command; to call a function of a reactor module name it (`wasmlet run --invoke NAME`, a WAGI `entrypoint`)',
          { blame: 'user' });
      }
      return host.start(instance);
    }
    const fn = instance.exports[call.name];
    if (typeof fn !== 'function') {
      const names = Object.entries(instance.exports).filter(([, v]) => typeof v === 'function').map(([k]) => k);
      throw new WasmletError('WASMLET_ERR_NO_EXPORT',
        `the module exports no function named \`${call.name}\` (exported functions: ${names.join(', ') || 'none'})`,
        { blame: 'user' });
    }
    let result: unknown;
    try {
      host.initialize(instance);
      result = (fn as (...a: WasmValue[]) => unknown)(...call.args);
    } catch (err) {
      if (err instanceof ProcExit) return err.code; // a reactor may exit too
      throw err;
    }
    call.results = result === undefined ? [] : Array.isArray(result) ? result as WasmValue[] : [result as WasmValue];
    return 0;
  } finally {
    host.dispose();
    if (memory) memories!.release(memory);
  }
}
