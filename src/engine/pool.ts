// A pool of worker threads that run guest invocations, so a CPU-bound guest never stalls the
// thread that accepts requests, and a guest past its deadline is stopped by `worker.terminate()`
// (which interrupts running Wasm) without touching other workers.
//
// Worker protocol (structured-clone data only; every invocation carries an id so a worker can hold
// several in flight, though a synchronous handler such as WAGI runs one at a time):
//   main -> worker  { type: 'load', unit, module: WebAssembly.Module, config }   once per unit, at
//                   register() for live workers and at spawn for replacements
//                   { type: 'run', id, unit, input }                              one per invocation
//   worker -> main  { type: 'ready' }                                             handler imported
//                   { type: 'event', id, event }                                  0..n per run (transfer ok)
//                   { type: 'done', id, result } | { type: 'fail', id, failure }  exactly one per run
// The handler (what "run" means) is a module the worker imports by URL: it exports `poolHandler`
// (see {@link PoolHandler}). This keeps the engine free of trigger code (WAGI lives in triggers/).
import { Worker } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { WasmletError } from '../util/errors.ts';
import type { Failure } from './instance.ts';

/** What a pool worker does with a unit's module and each invocation's input. Runs in the worker. */
export interface PoolHandler {
  /**
   * Prepares everything that does not change per invocation (import-object templates, env base,
   * preopen specs). Called once per unit per worker.
   * @throws anything: later runs of the unit fail with that error.
   */
  load(module: WebAssembly.Module, config: unknown): unknown;
  /**
   * Runs one invocation. `emit` sends an event to the caller's `onEvent` as it happens (list
   * ArrayBuffers in `transfer` to move rather than copy them). The return value (or resolved
   * value) is the job's result; a throw is the job's failure.
   */
  run(prepared: unknown, input: unknown, emit: (event: unknown, transfer?: Transferable[]) => void): unknown;
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** URL of the module exporting `poolHandler: PoolHandler`, imported by every worker. */
  handler: URL;
  /** Number of worker threads; default: the number of cores (`os.availableParallelism()`). */
  size?: number;
  /** Invocations one worker runs at once; default 1 (right for synchronous guests). */
  concurrency?: number;
  /**
   * Invocations allowed to wait for a free worker; one more is refused with
   * `WASMLET_ERR_QUEUE_FULL`. Default 64 per worker.
   */
  maxQueue?: number;
}

/** One invocation submitted to {@link WorkerPool.run}. */
export interface PoolJob {
  /** A unit registered with {@link WorkerPool.register}. */
  unit: string;
  /** The handler's input (structured-clone data). */
  input: unknown;
  /** ArrayBuffers in `input` to move to the worker instead of copying. */
  transfer?: Transferable[];
  /** Wall-clock limit once the job is running, in ms; past it the worker is terminated and replaced. */
  timeoutMs?: number;
  /** Receives the handler's events, in order, before the job settles. */
  onEvent?: (event: unknown) => void;
  /** Aborting removes a queued job (it rejects with `WASMLET_ERR_ABORTED`); a running job runs on. */
  signal?: AbortSignal;
}

interface Pending {
  job: PoolJob;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
  id: number;
  timer?: ReturnType<typeof setTimeout>;
  /** False while prefetched behind a running job on a sequential worker. */
  started: boolean;
  /** performance.now() when it started. */
  startedAt?: number;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  active: Map<number, Pending>;
  ready: boolean;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'event'; id: number; event: unknown }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'fail'; id: number; failure: Failure };

/** Turns a worker's structured failure back into an error with a stable code. */
export function failureToError(failure: Failure): WasmletError {
  if (failure.kind === 'trap') {
    const where = failure.funcIndex === undefined ? '' : ` (in wasm-function[${failure.funcIndex}] at 0x${failure.offset!.toString(16)})`;
    return new WasmletError('WASMLET_ERR_TRAP', `the guest trapped: ${failure.message}${where}`, { blame: 'guest' });
  }
  return new WasmletError(failure.code, failure.message, { blame: failure.blame });
}

/**
 * A fixed-size pool of worker threads running {@link PoolHandler} invocations, with a bounded
 * queue, per-job deadlines and replacement of terminated or crashed workers.
 */
export class WorkerPool {
  readonly #handler: URL;
  readonly #size: number;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #units = new Map<string, { module: WebAssembly.Module; config: unknown }>();
  #nextId = 1;
  #closed = false;
  #startupFailures = 0;
  #fatal: WasmletError | undefined;

  constructor(options: WorkerPoolOptions) {
    this.#handler = options.handler;
    this.#size = Math.max(1, options.size ?? availableParallelism());
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#maxQueue = Math.max(0, options.maxQueue ?? 64 * this.#size);
  }

  /** Number of worker threads. */
  get size(): number { return this.#size; }
  /** Jobs waiting to start (in the pool's queue or prefetched to a busy worker). */
  get queued(): number { return this.#queue.length + this.#prefetched(); }
  /** Jobs running in workers. */
  get running(): number {
    let n = 0;
    for (const slot of this.#slots) for (const p of slot.active.values()) if (p.started) n++;
    return n;
  }

  #prefetched(): number {
    let n = 0;
    for (const slot of this.#slots) for (const p of slot.active.values()) if (!p.started) n++;
    return n;
  }

  /**
   * Jobs a worker holds at once. A sequential worker (concurrency 1) also holds the next job, so it
   * starts it without waiting for a round trip through the main thread; that job's deadline
   * starts when it does, and if the worker is terminated first it goes back to the queue.
   */
  get #capacity(): number { return this.#concurrency === 1 ? 2 : this.#concurrency; }

  /**
   * Spawns the workers and waits until each has imported the handler.
   * @throws WasmletError `WASMLET_ERR_WORKER_START` when a worker cannot start (the handler module
   *   failed to load).
   */
  async start(): Promise<void> {
    const starting: Promise<void>[] = [];
    for (let i = 0; i < this.#size; i++) starting.push(this.#spawn(i));
    await Promise.all(starting);
  }

  /**
   * Makes `module` + `config` runnable as `unit` in every worker (posted once now, and again to any
   * replacement worker). The module must be compiled already: workers never compile.
   */
  register(unit: string, module: WebAssembly.Module, config: unknown): void {
    this.#units.set(unit, { module, config });
    for (const slot of this.#slots) slot.worker.postMessage({ type: 'load', unit, module, config });
  }

  /**
   * Runs a job on the first free worker, or queues it.
   * @returns the handler's result.
   * @throws WasmletError `WASMLET_ERR_QUEUE_FULL` (queue at `maxQueue`), `WASMLET_ERR_TIMEOUT`
   *   (deadline passed; the worker was replaced), `WASMLET_ERR_TRAP` (blame guest),
   *   `WASMLET_ERR_WORKER_LOST` (the worker died under the job), `WASMLET_ERR_ABORTED`,
   *   `WASMLET_ERR_POOL_CLOSED`, or the handler's own error code.
   */
  run(job: PoolJob): Promise<unknown> {
    if (this.#closed) return Promise.reject(new WasmletError('WASMLET_ERR_POOL_CLOSED', 'the worker pool is shut down'));
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (!this.#units.has(job.unit)) {
      return Promise.reject(new WasmletError('WASMLET_ERR_UNKNOWN_UNIT', `no module registered as '${job.unit}'`));
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, resolve, reject, id: this.#nextId++, started: false };
      const slot = this.#freeSlot();
      if (slot && (slot.active.size === 0 || this.#prefetched() + this.#queue.length < this.#maxQueue)) {
        this.#dispatch(slot, pending);
        return;
      }
      const waiting = this.#queue.length + this.#prefetched();
      if (waiting >= this.#maxQueue) {
        reject(new WasmletError('WASMLET_ERR_QUEUE_FULL',
          `all ${this.#size} workers are busy and ${waiting} requests are waiting; retry later or raise --workers / --max-queue`));
        return;
      }
      if (job.signal) {
        if (job.signal.aborted) { reject(aborted()); return; }
        pending.onAbort = () => {
          const i = this.#queue.indexOf(pending);
          if (i >= 0) { this.#queue.splice(i, 1); reject(aborted()); }
        };
        job.signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#queue.push(pending);
    });
  }

  /** Terminates every worker; running and queued jobs reject with `WASMLET_ERR_POOL_CLOSED`. */
  async close(): Promise<void> {
    this.#closed = true;
    const err = new WasmletError('WASMLET_ERR_POOL_CLOSED', 'the worker pool is shut down');
    for (const p of this.#queue.splice(0)) this.#settle(p, err);
    const slots = this.#slots.splice(0);
    for (const slot of slots) for (const p of slot.active.values()) this.#settle(p, err);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  // An idle worker if there is one; else, for prefetch, the worker whose current job started most
  // recently: a job that has already run long is the likeliest to run on (a loop, a slow guest),
  // and a prefetched job waits behind it.
  #freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    let bestStart = -Infinity;
    for (const slot of this.#slots) {
      if (slot.active.size >= this.#capacity) continue;
      if (slot.active.size === 0) {
        if (slot.ready) return slot;
        if (!best || best.active.size > 0) { best = slot; bestStart = Infinity; }
        continue;
      }
      const start = slot.active.values().next().value!.startedAt ?? Infinity;
      if (start > bestStart) { best = slot; bestStart = start; }
    }
    return best;
  }

  #dispatch(slot: Slot, pending: Pending): void {
    if (pending.onAbort) pending.job.signal!.removeEventListener('abort', pending.onAbort);
    const { job } = pending;
    if (this.#concurrency > 1 || slot.active.size === 0) this.#started(slot, pending);
    slot.active.set(pending.id, pending);
    slot.worker.postMessage({ type: 'run', id: pending.id, unit: job.unit, input: job.input }, job.transfer ?? []);
  }

  #started(slot: Slot, pending: Pending): void {
    pending.started = true;
    pending.startedAt = performance.now();
    if (pending.job.timeoutMs !== undefined) {
      pending.timer = setTimeout(() => this.#timeout(slot, pending), pending.job.timeoutMs);
    }
  }

  #settle(pending: Pending, err: unknown, result?: unknown): void {
    if (pending.timer) clearTimeout(pending.timer);
    if (pending.onAbort) pending.job.signal?.removeEventListener('abort', pending.onAbort);
    if (err) pending.reject(err); else pending.resolve(result);
  }

  #pump(slot: Slot): void {
    if (!this.#slots.includes(slot)) return;
    if (this.#concurrency === 1) {
      const head = slot.active.values().next().value;
      if (head && !head.started) this.#started(slot, head); // the worker moved on to it
    }
    while (this.#queue.length > 0 && slot.active.size < this.#capacity) {
      this.#dispatch(slot, this.#queue.shift()!);
    }
  }

  #timeout(slot: Slot, pending: Pending): void {
    this.#replace(slot, (p) => p === pending
      ? new WasmletError('WASMLET_ERR_TIMEOUT',
        `the guest ran longer than its ${pending.job.timeoutMs} ms timeout and was stopped`, { blame: 'guest' })
      : lost());
  }

  /** Terminates `slot`'s worker, fails its jobs, and puts a fresh worker in its place. */
  #replace(slot: Slot, errorFor: (p: Pending) => WasmletError): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    const jobs = [...slot.active.values()];
    slot.active.clear();
    void slot.worker.terminate();
    const notStarted = jobs.filter((p) => !p.started);
    for (const p of jobs) if (p.started) this.#settle(p, errorFor(p));
    this.#queue.unshift(...notStarted); // never ran: they wait for the next free worker
    for (const other of this.#slots) if (other !== slot) this.#pump(other);
    if (!this.#closed) void this.#spawn(index).catch(() => {});
  }

  #spawn(index: number): Promise<void> {
    const worker = new Worker(new URL(`./pool-worker${extname(import.meta.url)}`, import.meta.url), {
      workerData: { handler: this.#handler.href },
    });
    const slot: Slot = { worker, active: new Map(), ready: false };
    this.#slots[index] = slot;
    for (const [unit, { module, config }] of this.#units) worker.postMessage({ type: 'load', unit, module, config });
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          this.#startupFailures = 0;
          resolve();
          this.#pump(slot);
          return;
        }
        const pending = slot.active.get(msg.id);
        if (!pending) return; // a job already failed by timeout
        if (msg.type === 'event') { pending.job.onEvent?.(msg.event); return; }
        slot.active.delete(msg.id);
        if (msg.type === 'done') this.#settle(pending, undefined, msg.result);
        else this.#settle(pending, failureToError(msg.failure));
        this.#pump(slot);
      });
      const died = (why: unknown) => {
        if (this.#slots[index] !== slot) return; // already replaced (timeout) or pool closed
        if (!slot.ready) {
          this.#startupFailures++;
          const err = new WasmletError('WASMLET_ERR_WORKER_START', `a pool worker failed to start: ${describe(why)}`, { cause: why });
          reject(err);
          if (this.#startupFailures >= 3) {
            this.#fatal = err;
            for (const p of this.#queue.splice(0)) this.#settle(p, err);
            for (const p of slot.active.values()) this.#settle(p, err);
            slot.active.clear();
            return;
          }
        }
        this.#replace(slot, lost);
      };
      worker.on('error', died);
      worker.on('exit', (code) => died(new Error(`worker exited with code ${code}`)));
    });
  }
}

function extname(url: string): string {
  return url.endsWith('.ts') ? '.ts' : '.js';
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function lost(): WasmletError {
  return new WasmletError('WASMLET_ERR_WORKER_LOST', 'the worker running this request stopped (another guest on it crashed or timed out)');
}

function aborted(): WasmletError {
  return new WasmletError('WASMLET_ERR_ABORTED', 'the invocation was cancelled before it started', { blame: 'user' });
}
