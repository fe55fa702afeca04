// The clocks of one guest instance, shared by WASI p1 (`clock_time_get`, `poll_oneoff`) and
// WASI 0.2 (`wasi:clocks/monotonic-clock`, `wall-clock`): Wasmtime keeps them in one
// `WasiClocksCtx` of its version-neutral context (crates/wasi/src/clocks.rs, ctx.rs).

const NS_PER_MS = 1_000_000n;

/**
 * Monotonic and wall clocks in nanoseconds. The wall clock is the host's `Date.now()` read once,
 * at the instance's first wall-clock call, advanced by the monotonic clock after that: it has
 * the monotonic clock's nanosecond resolution and never goes backwards within one instance.
 */
export class WasiClocks {
  #realtimeOffset: bigint | null = null;
  #sleeper: Int32Array | null = null;

  /** Nanoseconds since an arbitrary origin (`process.hrtime`); resolution 1 ns. */
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }

  /** Nanoseconds since 1970-01-01T00:00:00Z (may be negative only if the host's clock is). */
  realtimeNs(): bigint {
    const off = this.#realtimeOffset ??= BigInt(Date.now()) * NS_PER_MS - process.hrtime.bigint();
    return process.hrtime.bigint() + off;
  }

  /** Resolution of both clocks, in nanoseconds. */
  get resolutionNs(): bigint {
    return 1n;
  }

  /**
   * Blocks the thread until the monotonic clock reaches `deadlineNs` (p1's `poll_oneoff` is
   * synchronous). Returns at once for a deadline in the past.
   */
  sleepUntilNs(deadlineNs: bigint): void {
    const sab = this.#sleeper ??= new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      const left = deadlineNs - process.hrtime.bigint();
      if (left <= 0n) return;
      Atomics.wait(sab, 0, 0, Math.max(Number(left) / 1e6, 0.001));
    }
  }
}
