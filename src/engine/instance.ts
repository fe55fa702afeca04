// The part of a run that happens on whichever thread executes the guest (the caller's thread, or
// a worker when there is a deadline): link, instantiate, call `_start` or the invoked export, and
// turn what went wrong into plain data that can cross a worker boundary.
import { WasmletError, isWasmletError } from '../util/errors.ts';
import type { Blame, WasmletErrorCode } from '../util/errors.ts';
import type { WasiP1Options } from '../host/wasi/p1/wasi-p1.ts';
import { prepareP1Guest, runP1Guest } from './p1-guest.ts';
import type { WasmValue } from './p1-guest.ts';

export type { WasmValue } from './p1-guest.ts';

/** What a finished guest produced. `results` is set for `invoke` runs (one entry per result). */
export interface Outcome { exitCode: number; results?: WasmValue[] }

/**
 * Why a run failed, as structured-clone data (no class instances). `trap`: the guest trapped;
 * `funcIndex`/`offset` come from V8's innermost `wasm-function[N]:0xOFF` frame when present.
 */
export type Failure =
  | { kind: 'trap'; message: string; funcIndex?: number; offset?: number }
  | { kind: 'error'; code: WasmletErrorCode; message: string; blame: Blame };

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
 * Instantiates `module` with a fresh WASI preview1 host and runs it to completion on this thread
 * (through p1-guest.ts, the one p1 run path). A command runs `_start`; its `proc_exit(n)` is
 * `exitCode: n`, returning normally is 0.
 * @throws whatever the guest or host threw; pass it to {@link toFailure}.
 */
export function runInstance(module: WebAssembly.Module, request: InstanceRequest): Outcome {
  const guest = prepareP1Guest(module);
  if (request.invoke === undefined) return { exitCode: runP1Guest(guest, request.wasi) };
  const args = (request.invokeArgs ?? []).map((a, i) => toWasmValue(a, request.invokeParams?.[i]));
  const call = { name: request.invoke, args, results: undefined as WasmValue[] | undefined };
  const exitCode = runP1Guest(guest, request.wasi, call);
  return call.results ? { exitCode, results: call.results } : { exitCode };
}
