// Compiles Wasm once per content hash and hands out the same `WebAssembly.Module` afterwards.
import { WasmletError } from '../util/errors.ts';

/** A compiled module and the sha256 (hex) of the exact bytes it was compiled from. */
export interface CompiledEntry { module: WebAssembly.Module; hash: string }

/** The sha256 of `bytes`, lowercase hex. */
export function contentHash(bytes: Uint8Array): string {
  // Loaded on first use: `wasmlet run` without a cache never pays for node:crypto.
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * An in-process cache of compiled modules keyed by the sha256 of their bytes (the final bytes,
 * after any rewrite such as the memory cap, so the same source under two caps is two entries).
 * Concurrent compiles of the same bytes share one compilation. Failed compiles are not cached.
 * Create one per process (or per app) and pass it wherever modules are compiled.
 */
export class CompileCache {
  readonly #entries = new Map<string, Promise<WebAssembly.Module>>();

  /** Number of distinct modules held. */
  get size(): number { return this.#entries.size; }

  /**
   * Compiles `bytes` (asynchronously, off the main thread in V8) or returns the cached module.
   * @throws WasmletError `WASMLET_ERR_INVALID_WASM` (blame guest) when V8 rejects the module; the
   *   message is V8's, which names the function and byte offset (`@+123`).
   */
  async compile(bytes: Uint8Array): Promise<CompiledEntry> {
    const hash = contentHash(bytes);
    let pending = this.#entries.get(hash);
    if (!pending) {
      pending = compileModule(bytes);
      this.#entries.set(hash, pending);
      pending.catch(() => this.#entries.delete(hash));
    }
    return { module: await pending, hash };
  }

  /** Drops every entry. */
  clear(): void { this.#entries.clear(); }
}

/**
 * Compiles without caching.
 * @throws WasmletError `WASMLET_ERR_INVALID_WASM` as {@link CompileCache.compile}.
 */
export async function compileModule(bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    if (err instanceof WebAssembly.CompileError) {
      const detail = err.message.replace(/^WebAssembly\.compile\(\): /, '');
      throw new WasmletError('WASMLET_ERR_INVALID_WASM', `invalid WebAssembly module: ${detail}`,
        { blame: 'guest', cause: err });
    }
    throw err;
  }
}
