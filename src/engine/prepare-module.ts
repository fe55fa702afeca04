// The one prepare path of a core module, shared by `wasmlet run` (run-module.ts) and the HTTP
// trigger (routes-runtime.ts): inspect, cap memory, optionally rewrite the memory into an import
// so each invocation can take a recycled one (component/recycled-memory.ts), compile (through
// the content-hash cache when given). Done once per unit, never per invocation.
import { WasmletError } from '../util/errors.ts';
import { inspectModule } from './binary.ts';
import type { ImportEntry, ModuleInfo } from './binary.ts';
import { applyMemoryCap, type MemoryLimitSubject } from './limits.ts';
import { compileModule, contentHash } from './compile-cache.ts';
import type { CompileCache } from './compile-cache.ts';
import { rewriteMemoryAsImport } from './component/recycled-memory.ts';

/** A module ready to run: compiled (with the memory cap written in) and inspected. */
export interface PreparedModule {
  readonly module: WebAssembly.Module;
  /** sha256 (hex) of the compiled bytes (after the memory-cap and recycled-memory rewrites). */
  readonly hash: string;
  readonly info: ModuleInfo;
  /** The cap the module was compiled with, in bytes; undefined when uncapped. */
  readonly maxMemoryBytes?: number;
  /** Imported memories, whose limits the cap could not rewrite (the importer must cap them). */
  readonly importedMemories: ImportEntry[];
}

/** Options of {@link prepareModule}. */
export interface PrepareOptions {
  /** Cap on each linear memory, in bytes (rounded down to 64 KiB pages). Default: no cap beyond V8's. */
  maxMemoryBytes?: number;
  /** Who set `maxMemoryBytes`, named by the error when the initial memory is over it. Default `--max-memory`. */
  memoryLimitBy?: MemoryLimitSubject;
  /** Reuse compiled modules from this cache (keyed by content hash). Default: compile afresh. */
  cache?: CompileCache;
  /**
   * Rewrite a module that defines one plain 32-bit memory to import it instead (after the cap),
   * so that `runP1Guest` gives each invocation a zeroed memory from a per-unit pool rather than
   * a fresh mmap (p1-guest.ts). Any other module is compiled unchanged. Default false.
   */
  recycleMemory?: boolean;
}

/**
 * Inspects, caps and compiles a core module.
 * @throws WasmletError `WASMLET_ERR_NOT_WASM`, `WASMLET_ERR_TRUNCATED`, `WASMLET_ERR_INVALID_WASM`,
 *   `WASMLET_ERR_COMPONENT_UNSUPPORTED`, `WASMLET_ERR_MEMORY_LIMIT` (see {@link inspectModule},
 *   {@link applyMemoryCap}, {@link CompileCache.compile}).
 */
export async function prepareModule(source: Uint8Array | ArrayBuffer, options: PrepareOptions = {}): Promise<PreparedModule> {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  const info = inspectModule(bytes);
  let final = bytes;
  let importedMemories = info.imports.filter((i) => i.kind === 'memory');
  if (options.maxMemoryBytes !== undefined) {
    if (!Number.isSafeInteger(options.maxMemoryBytes) || options.maxMemoryBytes < 0) {
      throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `maxMemoryBytes must be a whole number of bytes, got ${options.maxMemoryBytes}`,
        { blame: 'user' });
    }
    const capped = applyMemoryCap(bytes, info, options.maxMemoryBytes, options.memoryLimitBy);
    final = capped.bytes;
    importedMemories = capped.importedMemories;
  }
  if (options.recycleMemory) final = rewriteMemoryAsImport(final)?.bytes ?? final;
  const compiled = options.cache ? await options.cache.compile(final) : undefined;
  const module = compiled ? compiled.module : await compileModule(final);
  let hash = compiled?.hash;
  return {
    module, info, importedMemories,
    get hash() { return hash ??= contentHash(final); }, // computed on demand when uncached
    ...(options.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: options.maxMemoryBytes }),
  };
}

