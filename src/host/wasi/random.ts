// The random sources of one guest instance, shared by WASI p1 (`random_get`) and WASI 0.2
// (`wasi:random/*`), as Wasmtime's version-neutral `WasiRandomCtx` (crates/wasi/src/random.rs).
// node:crypto is loaded on first use (process.getBuiltinModule caches it): loading it costs
// `wasmlet run` ~5 ms of start-up that a guest which never asks for randomness should not pay.

type Crypto = typeof import('node:crypto');

/** A CSPRNG (node:crypto) for the secure and the insecure interfaces alike, and a per-instance seed. */
export class WasiRandom {
  #crypto: Crypto | null = null;
  #seed: [bigint, bigint] | null = null;

  #c(): Crypto {
    return this.#crypto ??= process.getBuiltinModule('node:crypto');
  }

  /** Fills `into[offset, offset + size)` in place (no copy, any length). */
  fill(into: Uint8Array, offset: number = 0, size: number = into.length - offset): void {
    if (size > 0) this.#c().randomFillSync(into, offset, size);
  }

  /** A random u64. */
  u64(): bigint {
    return this.#c().randomBytes(8).readBigUInt64LE();
  }

  /**
   * `wasi:random/insecure-seed`: two u64 chosen at random on first call, then the same for the
   * instance's life (Wasmtime picks one per context).
   */
  insecureSeed(): [bigint, bigint] {
    const s = this.#seed ??= [this.u64(), this.u64()];
    return [s[0], s[1]];
  }
}
