// What a worker pool reports to whoever watches it (metrics): plain callbacks and plain numbers, so
// the engine never depends on a metrics library (prom-client lives above, in triggers/admin/).

/** Events of a {@link WorkerPool}, called synchronously on the main thread; must not throw. */
export interface PoolObserver {
  /**
   * A job started running on a worker: the worker creates a fresh instance for it (every
   * invocation gets its own), so this counts instances created.
   */
  jobStarted(unit: string): void;
  /**
   * A job settled. `code` is undefined when it succeeded, else its failure's `WasmletError` code
   * (`WASMLET_ERR_TIMEOUT`, `WASMLET_ERR_TRAP`, `WASMLET_ERR_QUEUE_FULL`, ...; `WASMLET_ERR_INTERNAL`
   * for an error without one).
   */
  jobSettled(unit: string, code: string | undefined): void;
}

/** A pool's state at one moment (see `WorkerPool.stats`). */
export interface PoolStats {
  /** Worker threads (live or being replaced). */
  workers: number;
  /** Per registered unit: jobs waiting to start (queued or prefetched to a busy worker) and running. */
  units: Record<string, { queued: number; running: number }>;
}

/** V8 heap figures of one pool worker thread, in bytes (`Worker.getHeapStatistics()`). */
export interface WorkerMemory {
  /** Index of the worker in its pool. */
  worker: number;
  /** `used_heap_size`: JS objects on the worker's V8 heap. */
  heapUsedBytes: number;
  /** `external_memory`: memory outside the heap, chiefly the Wasm linear memories of its instances. */
  externalBytes: number;
}
