// How an embedder says where a guest's stdin/stdout/stderr go, and the plain-data form of that
// which can cross to a worker thread.
import { bytesInput, collectOutput, fdInput, fdOutput, nullInput, nullOutput } from '../sandbox/stdio.ts';
import type { InputStream, OutputStream } from '../sandbox/stdio.ts';
import type { PreopenSpec } from '../sandbox/preopen.ts';
import { WasmletError } from '../util/errors.ts';

/**
 * The guest's stdin:
 * - `'null'` (default): empty, reads return end-of-file at once (deny by default);
 * - `'inherit'`: the host process's fd 0, read synchronously as the guest asks (streams; never
 *   buffered whole);
 * - a number: that host file descriptor (the caller keeps ownership; it is not closed);
 * - a `Uint8Array`: exactly these bytes, then end-of-file;
 * - an {@link InputStream}: your own synchronous source (only without `timeoutMs`, since the
 *   guest then runs on another thread and a synchronous read cannot cross).
 */
export type StdinOption = 'null' | 'inherit' | number | Uint8Array | InputStream;

/**
 * The guest's stdout or stderr:
 * - `'collect'` (default): kept in memory and returned in the result (`stdout`/`stderr` bytes);
 * - `'null'`: discarded;
 * - `'inherit'`: the host process's fd 1 (stdout) or 2 (stderr), written synchronously;
 * - a number: that host file descriptor (not closed);
 * - an {@link OutputStream}: your own sink (with `timeoutMs`, writes arrive asynchronously, in order).
 */
export type OutputOption = 'collect' | 'null' | 'inherit' | number | OutputStream;

/** Stdin as structured-clone data, for a worker. */
/**
 * What every guest run is granted, for modules (`runWasi`) and components (`runComponent`) alike.
 * Everything is denied unless granted (the WASI capability model).
 */
export interface GuestOptions {
  /** The guest's argv, including argv[0] (by convention the program name). Default: `[]`. */
  args?: string[];
  /** The guest's environment. Default: empty (nothing is inherited from the host). */
  env?: Record<string, string>;
  /** Host directories the guest may open, each read-only or read-write. Default: none. */
  preopens?: PreopenSpec[];
  /** Default `'null'` (empty). See {@link StdinOption}. */
  stdin?: StdinOption;
  /** Default `'collect'`. See {@link OutputOption}. */
  stdout?: OutputOption;
  /** Default `'collect'`. See {@link OutputOption}. */
  stderr?: OutputOption;
  /**
   * Cap on each linear memory (each core memory of a component), in bytes, rounded down to 64 KiB
   * pages: growth past it fails in the guest (`memory.grow` returns -1). A guest whose initial
   * memory is larger is refused (`WASMLET_ERR_MEMORY_LIMIT`).
   */
  maxMemoryBytes?: number;
  /**
   * Wall-clock deadline in milliseconds, counted from when the guest starts (after the worker
   * thread is up). When set, the guest runs on a worker thread that is terminated at the deadline
   * (`WASMLET_ERR_TIMEOUT`; V8 interrupts running Wasm within a few ms). When unset, it runs on the
   * calling thread (fastest start-up; a module blocks the caller's event loop until it finishes).
   */
  timeoutMs?: number;
  /**
   * For a component: root of the transpile cache. Default `$WASMLET_CACHE_DIR`, else
   * `.wasmlet/cache` in the current directory (`defaultCacheDir()` in util/cache-dir.ts); when
   * the cache cannot be written there, `<os tmpdir>/wasmlet-cache`.
   */
  cacheDir?: string;
}

export type WireInput = { kind: 'null' } | { kind: 'fd'; fd: number } | { kind: 'bytes'; bytes: Uint8Array };
/** Stdout/stderr as structured-clone data: written by the worker itself (`fd`) or relayed to this thread. */
export type WireOutput = { kind: 'null' } | { kind: 'fd'; fd: number } | { kind: 'relay' };

function checkFd(fd: number, what: string): number {
  if (!Number.isInteger(fd) || fd < 0) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `${what}: ${fd} is not a file descriptor — pass a non-negative integer fd, or one of the named options`, { blame: 'user' });
  }
  return fd;
}

/** Builds the guest's stdin on this thread. */
export function openInput(option: StdinOption | undefined): InputStream {
  if (option === undefined || option === 'null') return nullInput();
  if (option === 'inherit') return fdInput(0);
  if (typeof option === 'number') return fdInput(checkFd(option, 'stdin'));
  if (option instanceof Uint8Array) return bytesInput(option);
  return option;
}

/** Builds a guest output on this thread; `collected` is set when the result should carry the bytes. */
export function openOutput(option: OutputOption | undefined, hostFd: 1 | 2): { stream: OutputStream; collected?: { bytes(): Uint8Array } } {
  if (option === undefined || option === 'collect') {
    const c = collectOutput();
    return { stream: c, collected: c };
  }
  if (option === 'null') return { stream: nullOutput() };
  if (option === 'inherit') return { stream: fdOutput(hostFd) };
  if (typeof option === 'number') return { stream: fdOutput(checkFd(option, hostFd === 1 ? 'stdout' : 'stderr')) };
  return { stream: option };
}

/**
 * Stdin for a worker.
 * @throws WasmletError `WASMLET_ERR_INVALID_OPTIONS` for a custom {@link InputStream}.
 */
export function wireInput(option: StdinOption | undefined): WireInput {
  if (option === undefined || option === 'null') return { kind: 'null' };
  if (option === 'inherit') return { kind: 'fd', fd: 0 };
  if (typeof option === 'number') return { kind: 'fd', fd: checkFd(option, 'stdin') };
  if (option instanceof Uint8Array) return { kind: 'bytes', bytes: option };
  throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
    'a custom stdin stream cannot be used with timeoutMs (the guest runs on a worker thread); pass \'inherit\', a file descriptor or the bytes',
    { blame: 'user' });
}

/** Stdout/stderr for a worker: fds are written from the worker directly, the rest is relayed. */
export function wireOutput(option: OutputOption | undefined, hostFd: 1 | 2): WireOutput {
  if (option === 'null') return { kind: 'null' };
  if (option === 'inherit') return { kind: 'fd', fd: hostFd };
  if (typeof option === 'number') return { kind: 'fd', fd: checkFd(option, hostFd === 1 ? 'stdout' : 'stderr') };
  return { kind: 'relay' };
}

/** Rebuilds a wired stdin inside the worker. */
export function openWireInput(w: WireInput): InputStream {
  return w.kind === 'fd' ? fdInput(w.fd) : w.kind === 'bytes' ? bytesInput(w.bytes) : nullInput();
}

/** Rebuilds a wired output inside the worker; `relay` receives the bytes to send to the parent. */
export function openWireOutput(w: WireOutput, relay: (bytes: Uint8Array) => void): OutputStream {
  if (w.kind === 'fd') return fdOutput(w.fd);
  if (w.kind === 'null') return nullOutput();
  return { write: (bytes) => relay(bytes.slice()) };
}
