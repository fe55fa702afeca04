// Runs a WASI 0.2 command component (`wasi:cli/run`) to completion: prepare (transpile through the
// disk cache, compile, optional memory cap), then execute on this thread (JSPI), or on a worker
// thread when there is a deadline (a one-worker pool: run-on-pool.ts), terminated when it passes,
// as for core modules.
import { WasmletError, isWasmletError } from '../util/errors.ts';
import type { PreopenSpec } from '../sandbox/preopen.ts';
import type { InputStream as SandboxInput, OutputStream as SandboxOutput } from '../sandbox/stdio.ts';
import type { ByteSink, ByteSource } from '../host/wasi/p2/io.ts';
import { runComponentCommand } from './component/run-command.ts';
import { prepareComponent, type PreparedComponent } from './component/transpile.ts';
import { capComponentMemory } from './component-memory.ts';
import type { MemoryLimitSubject } from './limits.ts';
import { componentToWire, type ComponentWire } from './component-wire.ts';
import { defaultCacheDir, fallbackCacheDir } from '../util/cache-dir.ts';
import { runOnPool } from './run-on-pool.ts';
import { toFailure, type Failure } from './instance.ts';
import { openInput, openOutput, wireInput, wireOutput } from './stdio-options.ts';
import type { GuestOptions } from './stdio-options.ts';

/**
 * Options of {@link runComponent}: the same grants as `runWasi`'s. With `timeoutMs` the source must
 * be the component's bytes (the worker prepares it again from the disk cache: no transpile).
 */
export type RunComponentOptions = GuestOptions;

/** What a component run produced (the same shape as `runWasi`'s result). */
export interface RunComponentResult {
  /** 0 when `run` returned `ok`; 1 for `err` or `exit(err)`; n for `exit-with-code(n)`. */
  exitCode: number;
  /** The guest's stdout, when `stdout` was `'collect'` (the default). */
  stdout?: Uint8Array;
  /** The guest's stderr, when `stderr` was `'collect'` (the default). */
  stderr?: Uint8Array;
}

/** The grants a component run is built from, as structured-clone data. */
export interface ComponentRequest { args: string[]; env: Record<string, string>; preopens: PreopenSpec[] }

/**
 * Transpiles (or loads from the disk cache) and compiles a component; applies the memory cap
 * (`maxMemoryBytes`, in bytes, rounded down to 64 KiB pages, on each core memory).
 * `cacheDir` defaults to `defaultCacheDir()` (`$WASMLET_CACHE_DIR`, else `./.wasmlet/cache`); when
 * it cannot be written, `fallbackCacheDir()` (`<os tmpdir>/wasmlet-cache`).
 * @throws WasmletError `WASMLET_ERR_COMPONENT_INVALID` (jco cannot transpile it: not a WASI 0.2
 *   component), `WASMLET_ERR_COMPONENT_CACHE` (neither cache location is writable),
 *   `WASMLET_ERR_MEMORY_LIMIT` (a core module's initial memory is over the cap; the error names
 *   `memoryLimitBy`, default `--max-memory`),
 *   `WASMLET_ERR_INVALID_OPTIONS` (`maxMemoryBytes` not a whole number).
 */
export async function prepareComponentForRun(bytes: Uint8Array,
  options: { cacheDir?: string; maxMemoryBytes?: number; memoryLimitBy?: MemoryLimitSubject } = {}): Promise<PreparedComponent> {
  let prepared: PreparedComponent;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  try {
    prepared = await prepareComponent(bytes, { cacheDir });
  } catch (err) {
    // An unwritable cache location (a read-only checkout) falls back to the temp dir.
    const fallback = fallbackCacheDir();
    if (!(isWasmletError(err) && err.code === 'WASMLET_ERR_COMPONENT_CACHE') || cacheDir === fallback) throw err;
    prepared = await prepareComponent(bytes, { cacheDir: fallback });
  }
  if (options.maxMemoryBytes !== undefined) {
    if (!Number.isSafeInteger(options.maxMemoryBytes) || options.maxMemoryBytes < 0) {
      throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `maxMemoryBytes must be a whole number of bytes, got ${options.maxMemoryBytes}`, { blame: 'user' });
    }
    prepared = await capComponentMemory(prepared, options.maxMemoryBytes, options.memoryLimitBy);
  }
  return prepared;
}

/** A sandbox input stream as a p2 {@link ByteSource} (synchronous reads; always "ready"). */
export function byteSourceOf(input: SandboxInput): ByteSource {
  let ended = false;
  return {
    read(max) {
      if (ended) return null;
      const buf = new Uint8Array(Math.min(max, 64 * 1024));
      const n = input.read(buf);
      if (n === 0) { ended = true; return null; }
      return buf.subarray(0, n);
    },
    ready: () => true,
    wait: () => Promise.resolve(),
  };
}

/** A sandbox output stream as a p2 {@link ByteSink}. */
export function byteSinkOf(output: SandboxOutput): ByteSink {
  return { write: (bytes) => output.write(bytes), flush: () => { output.flush?.(); } };
}

/**
 * Runs one instance of a command component with the given streams and returns its exit code.
 * Guest traps become `WASMLET_ERR_TRAP`.
 */
export async function executeComponent(prepared: PreparedComponent, request: ComponentRequest,
  stdio: { stdin: SandboxInput; stdout: SandboxOutput; stderr: SandboxOutput }): Promise<number> {
  try {
    return await runComponentCommand(prepared, {
      args: request.args, env: request.env, preopens: request.preopens,
      stdin: byteSourceOf(stdio.stdin), stdout: byteSinkOf(stdio.stdout), stderr: byteSinkOf(stdio.stderr),
    });
  } catch (err) {
    throw componentFailure(err);
  } finally {
    stdio.stdout.flush?.();
    stdio.stderr.flush?.();
  }
}

/** The API error for a failed component run (a trap, or a host error already typed). */
export function componentFailure(err: unknown): WasmletError {
  if (isWasmletError(err)) return err;
  const failure = toFailure(err);
  if (failure.kind === 'trap') return new WasmletError('WASMLET_ERR_TRAP', `wasm trap: ${failure.message}`, { blame: 'guest', cause: err });
  return new WasmletError(failure.code, failure.message, { blame: failure.blame, cause: err });
}

/**
 * Runs a WASI 0.2 command component (`wasi:cli/run@0.2.x`). Each call gets a fresh instance and a
 * fresh host; `wasi:cli/exit` ends that instance only.
 * @param source the component bytes, or a {@link PreparedComponent} (then `maxMemoryBytes` is
 *   ignored: cap it with `prepareComponentForRun`).
 * @throws WasmletError `WASMLET_ERR_COMPONENT_INVALID`, `WASMLET_ERR_COMPONENT_CACHE`,
 *   `WASMLET_ERR_MEMORY_LIMIT` (see {@link prepareComponentForRun});
 *   `WASMLET_ERR_COMPONENT_NOT_COMMAND` (no `wasi:cli/run` export);
 *   `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED` (an import wasmlet's WASI 0.2 host lacks);
 *   `WASMLET_ERR_TRAP` (blame guest); `WASMLET_ERR_TIMEOUT` (blame guest, `timeoutMs` passed);
 *   `WASMLET_ERR_INVALID_OPTIONS` (blame user); `WASMLET_ERR_INTERNAL` (the worker thread died).
 */
export async function runComponent(source: Uint8Array | PreparedComponent, options: RunComponentOptions = {}): Promise<RunComponentResult> {
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0 && Number.isFinite(options.timeoutMs))) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`, { blame: 'user' });
  }
  if (options.timeoutMs !== undefined && !(source instanceof Uint8Array)) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', 'timeoutMs needs the component bytes (the worker thread prepares it from the disk cache), not a PreparedComponent', { blame: 'user' });
  }
  const prepared = source instanceof Uint8Array
    ? await prepareComponentForRun(source, {
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: options.maxMemoryBytes }),
    })
    : source;
  const request = { args: options.args ?? [], env: options.env ?? {}, preopens: options.preopens ?? [] };
  if (options.timeoutMs === undefined) {
    const stdout = openOutput(options.stdout, 1);
    const stderr = openOutput(options.stderr, 2);
    const exitCode = await executeComponent(prepared, request, { stdin: openInput(options.stdin), stdout: stdout.stream, stderr: stderr.stream });
    return result(exitCode, stdout.collected?.bytes(), stderr.collected?.bytes());
  }
  return runInWorker(componentToWire(source as Uint8Array, prepared, options.maxMemoryBytes), request, options, options.timeoutMs);
}

function result(exitCode: number, stdout: Uint8Array | undefined, stderr: Uint8Array | undefined): RunComponentResult {
  return { exitCode, ...(stdout ? { stdout } : {}), ...(stderr ? { stderr } : {}) };
}

async function runInWorker(wire: ComponentWire, request: ComponentRequest, options: RunComponentOptions, timeoutMs: number): Promise<RunComponentResult> {
  const stdout = wireOutput(options.stdout, 1);
  const stderr = wireOutput(options.stderr, 2);
  const sinks = {
    1: stdout.kind === 'relay' ? openOutput(options.stdout, 1) : undefined,
    2: stderr.kind === 'relay' ? openOutput(options.stderr, 2) : undefined,
  };
  try {
    const ran = await runOnPool({ config: { kind: 'component', component: wire } },
      { kind: 'component', request, stdin: wireInput(options.stdin), stdout, stderr }, timeoutMs,
      (e) => { if (e.type === 'out') sinks[e.fd]?.stream.write(e.bytes); });
    if (ran === null) throw new WasmletError('WASMLET_ERR_INTERNAL', 'the run produced no result', { blame: 'host' });
    if ('failure' in ran) throw componentFailureFrom(ran.failure);
    return result(ran.outcome.exitCode, sinks[1]?.collected?.bytes(), sinks[2]?.collected?.bytes());
  } finally {
    sinks[1]?.stream.flush?.();
    sinks[2]?.stream.flush?.();
  }
}

function componentFailureFrom(failure: Failure): WasmletError {
  if (failure.kind === 'trap') return new WasmletError('WASMLET_ERR_TRAP', `wasm trap: ${failure.message}`, { blame: 'guest' });
  return new WasmletError(failure.code, failure.message, { blame: failure.blame });
}
