// `createPlugin`: the `@extism/extism` API (js-sdk src/mod.ts and src/interfaces.ts at
// v2.0.0-rc13) over wasmlet's own Extism kernel, so an embedder switches by changing the import.
import { applyMemoryCap } from '../../engine/limits.ts';
import { inspectModule } from '../../engine/binary.ts';
import { compileModule } from '../../engine/compile-cache.ts';
import { PREEMPT_IMPORT_MODULE, rewriteForPreemption } from '../../engine/preempt/rewrite-module.ts';
import {
  PluginOutput, mainModule, startPlugin,
  type CallContext, type ExtismLogger, type HostFunction, type LogLevel, type PluginBackend, type PluginModules,
} from '../../engine/extism/backend.ts';
import { isWasmletError, WasmletError } from '../../util/errors.ts';
import { resolveManifest, type ManifestLike, type MemoryOptions } from './manifest.ts';

/** Options of {@link createPlugin}; where a manifest field exists too, the option wins (js-sdk). */
export interface ExtismPluginOptions {
  /** Link `wasi_snapshot_preview1` (wasmlet's sandboxed p1 host). Default false: a module importing it fails to load. */
  useWasi?: boolean;
  /** Write the guest's WASI stdout/stderr to the host's. Default: discarded. */
  enableWasiOutput?: boolean;
  /** Host functions: `{ [namespace]: { [name]: (callContext, ...args) => value } }`; an `async` one suspends the guest (JSPI in-process). */
  functions?: Record<string, Record<string, HostFunction>>;
  config?: Record<string, string>;
  allowedHosts?: string[];
  allowedPaths?: Record<string, string>;
  memory?: MemoryOptions;
  /**
   * Per-call (and start-up) wall-clock limit, ms. Default: none. In-process (the default mode)
   * every module of the plugin is rewritten with preemption checks and a call past the limit is
   * stopped on the caller's thread, which it blocks meanwhile; with `runInWorker`, or when one
   * module is a `{ module }` item or one the rewriter refuses (GC proposal), the plugin runs on a
   * worker of its own.
   */
  timeoutMs?: number | null;
  /** Run on a worker of its own (js-sdk `runInWorker`): the caller's event loop stays free during calls. Default false. */
  runInWorker?: boolean;
  /** Where logs go. Default `console`. */
  logger?: ExtismLogger;
  /** Level plugin logs are kept at. Default `silent`. */
  logLevel?: LogLevel;
  /** `http_headers` returns the last response's headers. Default false. */
  allowHttpResponseHeaders?: boolean;
  /** The fetch `http_request` uses. Default the global fetch. */
  fetch?: typeof fetch;
}

/** A loaded plugin: js-sdk's `Plugin` interface. */
export interface Plugin {
  /**
   * Calls export `name` with `input` (a string is sent as UTF-8). Calls on one plugin run one at a time.
   * @returns the output, or null when the plugin set none.
   * @throws Error `Plugin error: function "NAME" does not exist`; `Plugin-originated error: TEXT`
   *   when the plugin reported an error; what a host function threw; a trap
   *   (`WebAssembly.RuntimeError`); WasmletError `WASMLET_ERR_TIMEOUT` with message
   *   `EXTISM: call canceled due to timeout` past `timeoutMs`.
   */
  call(name: string, input?: string | Uint8Array, hostContext?: unknown): Promise<PluginOutput | null>;
  functionExists(name: string): Promise<boolean>;
  /** Frees the kernel memory of past calls (vars stay). @returns false while a call runs. */
  reset(): Promise<boolean>;
  /** Whether a call is running. */
  isActive(): boolean;
  getExports(): Promise<WebAssembly.ModuleExportDescriptor[]>;
  getImports(): Promise<WebAssembly.ModuleImportDescriptor[]>;
  /** Stops the worker (worker mode) and closes WASI descriptors. */
  close(): Promise<void>;
}

/** Modules up to this size (bytes) are compiled synchronously (faster first call; blocks the thread a few ms). */
const SYNC_COMPILE_MAX_BYTES = 16 << 20;

function wrap(bytes: Uint8Array | null): PluginOutput | null {
  return bytes === null ? null : new PluginOutput(bytes.buffer as ArrayBuffer);
}

/** `new WebAssembly.Module`, with V8's rejection as `WASMLET_ERR_INVALID_WASM` (as compileModule does). */
function compileSync(bytes: Uint8Array): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    if (!(err instanceof WebAssembly.CompileError)) throw err;
    const detail = err.message.replace(/^WebAssembly\.Module\(\): /, '');
    throw new WasmletError('WASMLET_ERR_INVALID_WASM', `invalid WebAssembly module: ${detail}`, { blame: 'guest', cause: err });
  }
}

/**
 * Compiles `bytes`: synchronously up to SYNC_COMPILE_MAX_BYTES (V8 then compiles functions lazily
 * on first call; measured on count_vowels, 1.8 MB: 5.5 ms vs 15.3 ms for WebAssembly.compile),
 * else off the thread.
 * @throws WasmletError `WASMLET_ERR_INVALID_WASM` (blame guest) for bytes V8 rejects.
 */
async function compile(bytes: Uint8Array): Promise<WebAssembly.Module> {
  return bytes.byteLength <= SYNC_COMPILE_MAX_BYTES ? compileSync(bytes) : compileModule(bytes);
}

class ExtismPlugin implements Plugin {
  readonly #backend: PluginBackend;
  readonly #module: WebAssembly.Module;
  #active = false;
  #tail: Promise<unknown> = Promise.resolve();

  /** Whether createPlugin wrote preemption checks into `module` (its `wasmlet:preempt` import is then hidden). */
  readonly #preempted: boolean;

  constructor(backend: PluginBackend, module: WebAssembly.Module, preempted: boolean) {
    this.#backend = backend;
    this.#module = module;
    this.#preempted = preempted;
  }

  call(name: string, input?: string | Uint8Array, hostContext?: unknown): Promise<PluginOutput | null> {
    if (this.#active) {
      const next = this.#tail.then(() => this.call(name, input, hostContext), () => this.call(name, input, hostContext));
      this.#tail = next.catch(() => {});
      return next;
    }
    let result: ReturnType<PluginBackend['call']>;
    try {
      result = this.#backend.call(name, input, hostContext);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!(result instanceof Promise)) return Promise.resolve(wrap(result));
    this.#active = true;
    const done = result.then(wrap).finally(() => { this.#active = false; });
    this.#tail = done.catch(() => {});
    return done;
  }

  async functionExists(name: string): Promise<boolean> { return this.#backend.functionExists(name); }

  async reset(): Promise<boolean> {
    if (this.#active) return false;
    this.#backend.reset();
    return true;
  }

  isActive(): boolean { return this.#active; }

  async getExports(): Promise<WebAssembly.ModuleExportDescriptor[]> { return WebAssembly.Module.exports(this.#module); }

  async getImports(): Promise<WebAssembly.ModuleImportDescriptor[]> {
    const imports = WebAssembly.Module.imports(this.#module);
    return this.#preempted ? imports.filter((i) => i.module !== PREEMPT_IMPORT_MODULE) : imports;
  }

  close(): Promise<void> { return this.#backend.close(); }
}

/**
 * The module bytes with preemption checks (engine/preempt/), or null when the rewriter refuses
 * them (invalid bytes, a GC-proposal module): the caller then compiles the original, which
 * reports an invalid module, and uses the worker mode.
 */
function preemptibleBytes(code: Uint8Array): Uint8Array | null {
  try {
    return rewriteForPreemption(code).bytes;
  } catch (err) {
    if (isWasmletError(err)) return null;
    throw err;
  }
}

/**
 * Every module rewritten with preemption checks and compiled, or null when one cannot be: the
 * rewriter refuses it (it takes only valid input: rewriteForPreemption validates it; a GC-proposal
 * module), or it is past a V8 limit once rewritten (function size, locals). All or none: in-process,
 * a single unchecked module could loop past the deadline unstoppable.
 */
async function compilePreemptible(code: Uint8Array[]): Promise<WebAssembly.Module[] | null> {
  const compiled: WebAssembly.Module[] = [];
  for (const bytes of code) {
    const rewritten = preemptibleBytes(bytes);
    if (rewritten === null) return null;
    const module = await compile(rewritten).catch((err: unknown) => {
      if (isWasmletError(err) && err.code === 'WASMLET_ERR_INVALID_WASM') return null;
      throw err;
    });
    if (module === null) return null;
    compiled.push(module);
  }
  return compiled;
}

/**
 * Loads an Extism plugin and starts it (module start-up runs now), mirroring `@extism/extism`'s
 * `createPlugin`. A manifest may list several modules: the one named `main` is the plugin, and
 * its imports from another item's name are that item's exports (see plugin/extism/manifest.ts
 * `resolveManifest` for the names, engine/extism/instance.ts for the linking). The mode follows
 * the options: `runInWorker` selects the worker mode (host functions are called back on this
 * thread); otherwise the plugin runs in-process on this thread (fastest), and with `timeoutMs`
 * (option or manifest) every module is rewritten so that a call past the limit is stopped there
 * (a `{ module }` item, which cannot be rewritten, or a module the rewriter refuses, sends the
 * whole plugin to a worker instead). `memory.maxLinearMemoryBytes` caps every module's memories.
 * @param source bytes, a path, an http(s)/file URL, a manifest JSON text, a compiled module, or a manifest.
 * @throws WasmletError `WASMLET_ERR_EXTISM_MANIFEST` (blame user) for a malformed manifest or
 *   options, a hash mismatch, no module named `main` or two with one name;
 *   `WASMLET_ERR_INVALID_WASM` (blame guest) for bytes V8 rejects; `WASMLET_ERR_MEMORY_LIMIT` when
 *   a module's initial memory is over `memory.maxLinearMemoryBytes`; js-sdk's link errors (`WASI
 *   is not enabled; see the "useWasi" plugin option`, `from module "main": cannot resolve import
 *   ...`, `... cannot import "lib" "f"; no export matched request`); `WASMLET_ERR_TIMEOUT` when
 *   start-up passes `timeoutMs`.
 */
export async function createPlugin(source: ManifestLike | PromiseLike<ManifestLike>, options: ExtismPluginOptions = {}): Promise<Plugin> {
  const { manifest, modules: items } = await resolveManifest(await source);
  const memory: MemoryOptions = options.memory ?? manifest.memory ?? {};
  const timeoutMs = options.timeoutMs ?? manifest.timeoutMs ?? null;
  if (timeoutMs !== null && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new WasmletError('WASMLET_ERR_EXTISM_MANIFEST', `timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`, { blame: 'user' });
  }
  const cap = memory.maxLinearMemoryBytes;
  if (cap !== undefined && items.some((m) => m.bytes === null)) {
    throw new WasmletError('WASMLET_ERR_EXTISM_MANIFEST', 'memory.maxLinearMemoryBytes needs the module bytes: pass { data } or { path } instead of { module }', { blame: 'user' });
  }
  const code = items.map((m) => m.bytes === null || cap === undefined ? m.bytes : applyMemoryCap(m.bytes, inspectModule(m.bytes), cap, {
    subject: items.length > 1 ? `module "${m.name}"` : undefined, setting: 'memory.maxLinearMemoryBytes',
  }).bytes);
  let worker = options.runInWorker === true;
  // With a timeout the rewritten bytes are compiled instead of the originals; when that cannot be
  // done for every module, the originals are compiled (an invalid one is reported) and run on a worker.
  let modules = timeoutMs !== null && !worker && code.every((c) => c !== null) ? await compilePreemptible(code as Uint8Array[]) : null;
  const preempted = modules !== null;
  if (modules === null) {
    modules = [];
    for (const [i, m] of items.entries()) {
      try {
        modules.push(m.module ?? await compile(code[i]!));
      } catch (err) {
        // With several modules, say which one is broken.
        if (items.length === 1 || !isWasmletError(err)) throw err;
        throw new WasmletError(err.code, `module "${m.name}": ${err.message}`, { blame: err.blame, cause: err });
      }
    }
    if (timeoutMs !== null) worker = true;
  }
  const linked: PluginModules = { names: items.map((m) => m.name), modules };
  const logger = options.logger ?? console;
  const backend = await startPlugin({
    modules: linked,
    kernel: {
      config: options.config ?? manifest.config ?? {},
      logLevel: options.logLevel ?? 'silent',
      maxPages: memory.maxPages,
      maxVarBytes: memory.maxVarBytes,
      maxOutputBytes: memory.maxOutputBytes,
    },
    functions: options.functions ?? {},
    wasi: options.useWasi
      ? { allowedPaths: options.allowedPaths ?? manifest.allowedPaths ?? {}, enableWasiOutput: options.enableWasiOutput ?? false }
      : null,
    http: {
      allowedHosts: options.allowedHosts ?? manifest.allowedHosts ?? [],
      maxHttpResponseBytes: memory.maxHttpResponseBytes,
      allowHttpResponseHeaders: options.allowHttpResponseHeaders ?? false,
      fetch: options.fetch,
    },
    logger,
    timeoutMs,
    worker,
    preempted,
  });
  return new ExtismPlugin(backend, mainModule(linked), preempted);
}

export type { CallContext, ExtismLogger, HostFunction, LogLevel };
export { PluginOutput };
