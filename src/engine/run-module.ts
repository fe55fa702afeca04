// Runs a WASI preview1 command (or one export of a reactor) to completion: prepare (inspect, cap
// memory, compile: prepare-module.ts), then execute on this thread, or, when there is a deadline,
// on a one-worker pool (run-on-pool.ts: the serve pool's machinery), terminated when it passes.
import { WasmletError } from '../util/errors.ts';
import { detectWasmKind } from './binary.ts';
import type { ModuleInfo } from './binary.ts';
import { runOnPool } from './run-on-pool.ts';
import type { RunInput } from './run-handler.ts';
import type { CompileCache } from './compile-cache.ts';
import { prepareModule } from './prepare-module.ts';
import type { PreparedModule } from './prepare-module.ts';
import { runInstance, toFailure } from './instance.ts';
import type { Failure, Outcome, WasmValue } from './instance.ts';
import { openInput, openOutput, wireInput, wireOutput } from './stdio-options.ts';
import type { GuestOptions } from './stdio-options.ts';

export { prepareModule } from './prepare-module.ts';
export type { PrepareOptions, PreparedModule } from './prepare-module.ts';

/** Options of {@link runWasi}. Everything is denied unless granted (WASI capability model). */
export interface RunWasiOptions extends GuestOptions {
  /**
   * Call this export instead of `_start` (a reactor: `_initialize` runs first). Its results are
   * returned in `results`.
   */
  invoke?: string;
  /** Arguments to `invoke`, as text: parsed per the export's parameter types (i64 as BigInt). */
  invokeArgs?: string[];
  /** Receives one line per WASI call (name, arguments, result). With `timeoutMs` lines arrive asynchronously. */
  trace?: (line: string) => void;
  /** Reuse compiled modules across calls (when `source` is bytes). Default: compile afresh. */
  cache?: CompileCache;
}

/** What a run produced. */
export interface RunWasiResult {
  /** `proc_exit`'s code, or 0 when `_start` (or the invoked export) returned normally. */
  exitCode: number;
  /** The guest's stdout, when `stdout` was `'collect'` (the default). */
  stdout?: Uint8Array;
  /** The guest's stderr, when `stderr` was `'collect'` (the default). */
  stderr?: Uint8Array;
  /** The invoked export's results, one per Wasm result (i64 as bigint); only with `invoke`. */
  results?: WasmValue[];
}

/** What the guest's host is built from, as structured-clone data (run-handler.ts). */
type ModuleRequest = Extract<RunInput, { kind: 'module' }>['request'];

/**
 * Runs a WASI preview1 command module (`_start`), or with `invoke` one export of a reactor, and
 * resolves when it finishes. Each call gets a fresh instance and a fresh WASI host. Bytes of a
 * WASI 0.2 command component (detected from the preamble) run through `runComponent` with the
 * same options (`invoke` and `trace` are refused for components; `maxMemoryBytes` caps each core
 * memory; `wasi:cli/exit` gives the exit code).
 * @param source the module bytes, or a {@link PreparedModule} (then `maxMemoryBytes` must be
 *   unset or equal to the one it was prepared with).
 * @throws WasmletError with `code`:
 *   - `WASMLET_ERR_NOT_WASM`, `WASMLET_ERR_TRUNCATED`, `WASMLET_ERR_INVALID_WASM`,
 *     `WASMLET_ERR_COMPONENT_UNSUPPORTED`, `WASMLET_ERR_MEMORY_LIMIT`: the module cannot run;
 *   - `WASMLET_ERR_UNKNOWN_IMPORT`: it imports something the WASI preview1 host does not provide;
 *   - `WASMLET_ERR_NO_START`, `WASMLET_ERR_NO_EXPORT`: no `_start` / no such `invoke` export;
 *   - `WASMLET_ERR_TRAP` (blame guest): the guest trapped; the message names the trap and function;
 *   - `WASMLET_ERR_LINK`: V8 refused to link the imports (e.g. a signature mismatch);
 *   - `WASMLET_ERR_TIMEOUT` (blame guest): `timeoutMs` passed; the guest was stopped;
 *   - `WASMLET_ERR_INVALID_OPTIONS` (blame user): an option is malformed, or `invokeArgs` has the
 *     wrong count or a non-number;
 *   - `WASMLET_ERR_INTERNAL` (blame host): the worker thread running the guest died;
 *   - for a component, the codes of `runComponent`: `WASMLET_ERR_COMPONENT_INVALID`,
 *     `WASMLET_ERR_COMPONENT_CACHE`, `WASMLET_ERR_COMPONENT_NOT_COMMAND`,
 *     `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED`.
 */
export async function runWasi(source: Uint8Array | ArrayBuffer | PreparedModule, options: RunWasiOptions = {}): Promise<RunWasiResult> {
  if ((source instanceof Uint8Array || source instanceof ArrayBuffer) && isComponent(source)) {
    return runComponentWasi(source instanceof Uint8Array ? source : new Uint8Array(source), options);
  }
  let prepared: PreparedModule;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    prepared = await prepareModule(source, {
      ...(options.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: options.maxMemoryBytes }),
      ...(options.cache ? { cache: options.cache } : {}),
    });
  } else {
    prepared = source;
    if (options.maxMemoryBytes !== undefined && options.maxMemoryBytes !== prepared.maxMemoryBytes) {
      throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
        'maxMemoryBytes differs from the cap the module was prepared with; pass it to prepareModule instead', { blame: 'user' });
    }
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0 && Number.isFinite(options.timeoutMs))) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`,
      { blame: 'user' });
  }
  const request = instanceRequest(prepared, options);
  return options.timeoutMs === undefined
    ? runHere(prepared, request, options)
    : runInWorker(prepared, request, options, options.timeoutMs);
}

function isComponent(source: Uint8Array | ArrayBuffer): boolean {
  try {
    return detectWasmKind(source instanceof Uint8Array ? source : new Uint8Array(source)) === 'component';
  } catch {
    return false; // not Wasm at all: prepareModule reports it
  }
}

/** A WASI 0.2 command component: the same options, run by run-component.ts. */
async function runComponentWasi(bytes: Uint8Array, options: RunWasiOptions): Promise<RunWasiResult> {
  if (options.invoke !== undefined) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
      'invoke calls an export of a core module; a component is run through its wasi:cli/run export (drop --invoke)', { blame: 'user' });
  }
  if (options.trace !== undefined) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
      'tracing WASI calls is supported for core modules only, not yet for components (drop --trace)', { blame: 'user' });
  }
  const { runComponent } = await import('./run-component.ts');
  const { invoke: _i, invokeArgs: _a, trace: _t, cache: _c, ...rest } = options;
  return runComponent(bytes, rest);
}

function instanceRequest(prepared: PreparedModule, options: RunWasiOptions): ModuleRequest {
  const request: ModuleRequest = {
    wasi: {
      args: options.args ?? [],
      env: options.env ?? {},
      preopens: options.preopens ?? [],
    },
  };
  if (options.invoke !== undefined) {
    request.invoke = options.invoke;
    request.invokeArgs = options.invokeArgs ?? [];
    const exp = prepared.info.exports.find((e) => e.kind === 'function' && e.name === options.invoke);
    const type = exp && prepared.info.types[prepared.info.funcTypes[exp.index] ?? -1];
    if (type) {
      request.invokeParams = type.params;
      if (request.invokeArgs.length !== type.params.length) {
        throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
          `export \`${options.invoke}\` takes ${type.params.length} argument(s) (${type.params.join(', ') || 'none'}), got ${request.invokeArgs.length}`,
          { blame: 'user' });
      }
    }
  }
  return request;
}

function runHere(prepared: PreparedModule, request: ModuleRequest, options: RunWasiOptions): RunWasiResult {
  const stdout = openOutput(options.stdout, 1);
  const stderr = openOutput(options.stderr, 2);
  let outcome: Outcome;
  try {
    outcome = runInstance(prepared.module, {
      ...request,
      wasi: {
        ...request.wasi,
        stdin: openInput(options.stdin),
        stdout: stdout.stream,
        stderr: stderr.stream,
        ...(options.trace ? { trace: options.trace } : {}),
      },
    });
  } catch (err) {
    throw failureToError(toFailure(err), prepared.info, err);
  } finally {
    stdout.stream.flush?.();
    stderr.stream.flush?.();
  }
  return result(outcome, stdout.collected?.bytes(), stderr.collected?.bytes());
}

function result(outcome: Outcome, stdout: Uint8Array | undefined, stderr: Uint8Array | undefined): RunWasiResult {
  return {
    exitCode: outcome.exitCode,
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    ...(outcome.results ? { results: outcome.results } : {}),
  };
}

async function runInWorker(prepared: PreparedModule, request: ModuleRequest, options: RunWasiOptions, timeoutMs: number): Promise<RunWasiResult> {
  const stdout = wireOutput(options.stdout, 1);
  const stderr = wireOutput(options.stderr, 2);
  const sinks = {
    1: stdout.kind === 'relay' ? openOutput(options.stdout, 1) : undefined,
    2: stderr.kind === 'relay' ? openOutput(options.stderr, 2) : undefined,
  };
  try {
    const ran = await runOnPool({ module: prepared.module, config: { kind: 'module' } },
      { kind: 'module', request, stdin: wireInput(options.stdin), stdout, stderr, trace: options.trace !== undefined }, timeoutMs,
      (e) => { if (e.type === 'out') sinks[e.fd]?.stream.write(e.bytes); else options.trace?.(e.line); });
    if (ran === null) throw new WasmletError('WASMLET_ERR_INTERNAL', 'the run produced no result', { blame: 'host' });
    if ('failure' in ran) throw failureToError(ran.failure, prepared.info);
    return result(ran.outcome, sinks[1]?.collected?.bytes(), sinks[2]?.collected?.bytes());
  } finally {
    sinks[1]?.stream.flush?.();
    sinks[2]?.stream.flush?.();
  }
}

/**
 * Turns a {@link Failure} into the WasmletError the API throws. A trap's message is one line:
 * `wasm trap: <V8's trap message> in function \`name\` (func[N] at byte offset 0x..)`.
 */
export function failureToError(failure: Failure, info: ModuleInfo, cause?: unknown): WasmletError {
  if (failure.kind === 'error') return new WasmletError(failure.code, failure.message, { blame: failure.blame, cause });
  let where = '';
  if (failure.funcIndex !== undefined) {
    const name = info.functionNames.get(failure.funcIndex);
    const at = failure.offset === undefined ? '' : ` at byte offset 0x${failure.offset.toString(16)}`;
    where = name ? ` in function \`${name}\` (func[${failure.funcIndex}]${at})` : ` in func[${failure.funcIndex}]${at}`;
  }
  return new WasmletError('WASMLET_ERR_TRAP', `wasm trap: ${failure.message}${where}`, { blame: 'guest', cause });
}
