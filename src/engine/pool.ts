// A pool of worker threads that run guest invocations, so a CPU-bound guest never stalls the
// thread that accepts requests, and a guest past its deadline is stopped by `worker.terminate()`
// (which interrupts running Wasm) without touching other workers.
//
// Worker protocol (structured-clone data only; every invocation carries an id so a worker can hold
// several in flight):
//   main -> worker  { type: 'load', unit, module: WebAssembly.Module, config }   once per unit, at
//                   register() for live workers and at spawn for replacements
//                   { type: 'runs', jobs: [id, cell, unit, input][] }              one or more jobs
//   worker -> main  { type: 'ready', claims: SharedArrayBuffer }                 handler imported
//                   { type: 'event', id, event }                                  0..n per run (transfer ok)
//                   { type: 'done', id, result } | { type: 'fail', id, failure }  exactly one per run
//                   that was claimed (see below); none for a job the main thread took back
// The handler (what "run" means) is a module the worker imports by URL: it exports `poolHandler`
// (see {@link PoolHandler}). This keeps the engine free of trigger code (WAGI lives in triggers/).
//
// Why several jobs per worker and per message: a request's own work is tens of microseconds, while
// a wake-up of the main thread can take longer when the cores are busy. A sequential worker holds
// up to PREFETCH_DEPTH jobs so it never waits for the main thread between two of them, and the
// main thread refills it in batches (one message) once it is down to half.
//
// Claims: each worker owns a small Int32Array over a SharedArrayBuffer (`claims`, one cell per job
// it may hold). The main thread writes a job's sequence number into a free cell before posting
// it; the worker swaps it for CLAIMED (compareExchange) just before running it, and skips the job
// if the swap fails. The main thread takes back a job that has not started with the opposite
// swap (seq -> FREE). So a job runs at most once, even when the main thread requeues prefetched
// jobs (worker replaced), hands them to an idle worker (stealing), or drops them (cancel).
//
// Fairness between units (tenants): each unit has its own FIFO queue, and free workers go to the
// units round-robin; a worker holds jobs of one unit at a time (never a job of B prefetched behind
// a job of A, which would wait on A); while two or more units are registered, one unit may hold at
// most `size - 1` workers, so a unit whose guests loop until their deadline can never take every
// worker. A job's deadline counts from its submission: one that waited past it is failed without
// running, so a flood of looping requests drains at one deadline, not one deadline per worker.
// Measured in bench/noisy-neighbour.ts.
//
// Garbage: the main thread runs this per request, so a job costs no timer, listener or closure of
// its own. Cancelling is by job object ({@link WorkerPool.cancel}, a scan of the waiting jobs: rare),
// and each worker has one deadline timer, armed for the earliest deadline of its running jobs and
// re-armed lazily when it fires (jobs that finish in time never touch it).
import { Worker } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { WasmletError } from '../util/errors.ts';
import { workerEntry } from '../util/worker-entry.ts';
import type { Failure } from './instance.ts';
import type { PoolObserver, PoolStats, WorkerMemory } from './pool-observer.ts';

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
  /**
   * True when runs rely on this thread's event loop turning while they are in flight: timers or
   * immediates, as jco's async runtime uses to release each component instance. The worker then
   * starts jobs from `setImmediate` instead of from the port's message callback, where Node keeps
   * the thread for as long as messages keep arriving (under steady load: until the load stops).
   * Default false: a synchronous guest (WAGI) starts a few microseconds sooner without the hop.
   */
  needsEventLoop?: boolean;
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
   * Invocations of one unit allowed to wait for a free worker; one more of that unit is refused
   * with `WASMLET_ERR_QUEUE_FULL` (other units are unaffected). Default: no count limit; waiting
   * is bounded by {@link maxQueuedBytes} and by each job's deadline (see {@link WorkerPool.run}).
   */
  maxQueue?: number;
  /**
   * Bytes all waiting jobs may hold (each job counts its {@link PoolJob.bytes} plus
   * {@link JOB_OVERHEAD_BYTES}); a job past it is refused with `WASMLET_ERR_QUEUE_FULL`.
   * Default 256 MiB.
   */
  maxQueuedBytes?: number;
  /**
   * Refuse a job whose expected wait reaches its deadline (see {@link WorkerPool.run}). Right for
   * jobs whose run time is the worker's own work (WAGI: the body is read before the job is
   * submitted); not for jobs that stream from and to the client while they run (a slow upload
   * would make every later request look slow). Default false.
   */
  admitByExpectedWait?: boolean;
  /**
   * Workers one unit may hold at once while two or more units are registered. Default `size - 1`
   * (at least 1): every other unit always has a worker that no single unit can occupy. With one
   * unit registered it may use every worker.
   */
  maxWorkersPerUnit?: number;
  /** Told when jobs start and settle (metrics); default none. */
  observer?: PoolObserver;
}

/** One invocation submitted to {@link WorkerPool.run}. */
export interface PoolJob {
  /** A unit registered with {@link WorkerPool.register}. */
  unit: string;
  /** The handler's input (structured-clone data). */
  input: unknown;
  /** ArrayBuffers in `input` to move to the worker instead of copying. */
  transfer?: Transferable[];
  /** Bytes the job holds while it waits (a request body), for {@link WorkerPoolOptions.maxQueuedBytes}. */
  bytes?: number;
  /**
   * Wall-clock limit in ms, counted from submission (time spent waiting for a worker counts). A job
   * still waiting at its deadline fails without running; a running one has its worker terminated
   * and replaced. Both reject with `WASMLET_ERR_TIMEOUT`.
   */
  timeoutMs?: number;
  /** Receives the handler's events, in order, before the job settles. */
  onEvent?: (event: unknown) => void;
  /**
   * Aborting removes a job that has not started (as {@link WorkerPool.cancel}); a running job runs
   * on. An abort listener per job costs the main thread garbage: callers that can, keep the job
   * object and call `cancel` instead.
   */
  signal?: AbortSignal;
}

/**
 * What a waiting job is taken to hold besides its {@link PoolJob.bytes} (the job, its input: a
 * CGI environment is ~1-2 KiB, the HTTP request and socket behind it), for the queue's memory bound.
 */
export const JOB_OVERHEAD_BYTES = 4096;
/** Weight of the newest run time in a unit's moving average of run times. */
const RUN_TIME_WEIGHT = 0.2;

/** Jobs a sequential worker (concurrency 1) holds: one running, the rest waiting in its queue. */
const PREFETCH_DEPTH = 16;
/** Claim cell states besides a job's sequence number (which is always >= 1). */
const FREE = 0;
const CLAIMED = -1;

interface Pending {
  job: PoolJob;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
  id: number;
  /** False while prefetched behind a running job on a sequential worker. */
  started: boolean;
  /** performance.now() when it was submitted. */
  submittedAt: number;
  /** Bytes it counts in the pool's #waitingBytes until it starts or settles (0 once it has). */
  waitBytes: number;
  /** performance.now() when it started. */
  startedAt: number;
  /** performance.now() past which it is stopped (Infinity: no timeout): submittedAt + timeoutMs. */
  deadline: number;
  /** Only for a job with a `signal`. */
  onAbort: (() => void) | undefined;
  /** Claim cell and sequence number while held by a worker. */
  cell: number;
  seq: number;
}

interface Slot {
  worker: Worker;
  /**
   * While the worker of a slot whose jobs were of unit U is being replaced (a timeout killed it),
   * U: the slot still counts as U's, so U cannot take another tenant's worker meanwhile (a job of
   * U that waited nearly as long as the killed one would otherwise start there, and time out
   * there too). Cleared when the replacement is ready.
   */
  reservedFor: string | undefined;
  /**
   * Jobs posted to the worker, in the order it runs them (a sequential worker's head is running).
   * An array, not a Map: with a Map keyed by id, the main thread promoted the whole request graph
   * of nearly every job (257 MB vs 0.2 MB per 5 s of load). Likely cause: a Map's hash table,
   * replaced as entries churn, links to its successor, so a promoted dead table keeps the later
   * tables and the jobs they hold alive through scavenges.
   */
  active: Pending[];
  ready: boolean;
  /** Claim cells shared with the worker (see the protocol note above); set once it is ready. */
  claims: Int32Array | null;
  freeCells: number[];
  nextSeq: number;
  /** The one deadline timer (see the note on garbage above) and the performance.now() it fires at. */
  timer: ReturnType<typeof setTimeout> | undefined;
  timerAt: number;
}

type FromWorker =
  | { type: 'ready'; claims: SharedArrayBuffer }
  | { type: 'event'; id: number; event: unknown }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'fail'; id: number; failure: Failure };

/** A job as posted to a worker: id, claim cell, unit, input. */
export type WireJob = [id: number, cell: number, seq: number, unit: string, input: unknown];

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
  readonly #maxWorkersPerUnit: number;
  readonly #maxQueuedBytes: number;
  readonly #admitByExpectedWait: boolean;
  readonly #observer: PoolObserver | undefined;
  /** Bytes held by jobs not yet started (queued or prefetched), for #maxQueuedBytes. */
  #waitingBytes = 0;
  /** Per unit, a moving average of its jobs' run time in ms (absent until one has finished). */
  readonly #runMs = new Map<string, number>();
  readonly #slots: Slot[] = [];
  /** Waiting jobs, one FIFO per unit (see the note on fairness above). */
  readonly #queues = new Map<string, Pending[]>();
  /** Jobs in all of #queues. */
  #queuedTotal = 0;
  /** Per unit, when it was last given a worker (a counter): the least recently served goes first. */
  readonly #servedAt = new Map<string, number>();
  #serial = 0;
  readonly #units = new Map<string, { module: WebAssembly.Module; config: unknown }>();
  #nextId = 1;
  #closed = false;
  #startupFailures = 0;
  #fatal: WasmletError | undefined;
  #flushScheduled = false;

  constructor(options: WorkerPoolOptions) {
    this.#handler = options.handler;
    this.#size = Math.max(1, options.size ?? availableParallelism());
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#maxQueue = Math.max(0, options.maxQueue ?? Infinity);
    this.#maxQueuedBytes = Math.max(0, options.maxQueuedBytes ?? 256 * 1024 * 1024);
    this.#admitByExpectedWait = options.admitByExpectedWait ?? false;
    this.#maxWorkersPerUnit = Math.max(1, options.maxWorkersPerUnit ?? this.#size - 1);
    this.#observer = options.observer;
  }

  /** Number of worker threads. */
  get size(): number { return this.#size; }
  /** Jobs waiting to start (in the pool's queue or prefetched to a busy worker). */
  get queued(): number { return this.#queuedTotal + this.#prefetched(); }
  /** Jobs running in workers. */
  get running(): number {
    let n = 0;
    for (const slot of this.#slots) for (const p of slot.active) if (p.started) n++;
    return n;
  }

  /** Workers and, per unit, jobs waiting and running now (for gauges read at scrape time). */
  stats(): PoolStats {
    const units: PoolStats['units'] = {};
    for (const [unit, queue] of this.#queues) units[unit] = { queued: queue.length, running: 0 };
    for (const slot of this.#slots) {
      for (const p of slot.active) {
        const u = units[p.job.unit];
        if (u) { if (p.started) u.running++; else u.queued++; }
      }
    }
    return { workers: this.#slots.length, units };
  }

  /**
   * Heap figures of every live worker (a worker being replaced is skipped), from
   * `Worker.getHeapStatistics()` (asks each worker thread; resolves in about a millisecond).
   */
  async workerMemory(): Promise<WorkerMemory[]> {
    const live = this.#slots.map((slot, worker) => ({ slot, worker })).filter(({ slot }) => slot.ready);
    const stats = await Promise.all(live.map(({ slot }) => slot.worker.getHeapStatistics().catch(() => undefined)));
    const out: WorkerMemory[] = [];
    live.forEach(({ worker }, i) => {
      const s = stats[i];
      if (s) out.push({ worker, heapUsedBytes: s.used_heap_size, externalBytes: s.external_memory });
    });
    return out;
  }

  #prefetched(unit?: string): number {
    let n = 0;
    for (const slot of this.#slots) {
      if (unit === undefined || unitOf(slot) === unit) n += slot.active.length - this.#startedIn(slot);
    }
    return n;
  }

  /** Workers holding jobs of `unit`. */
  #held(unit: string): number {
    let n = 0;
    for (const slot of this.#slots) if (unitOf(slot) === unit) n++;
    return n;
  }

  /** Workers `unit` may hold at once. */
  #workersFor(unit: string): number {
    return this.#units.size < 2 ? this.#size : Math.min(this.#size, this.#maxWorkersPerUnit);
  }

  /** Whether `unit` may take one more (empty) worker. */
  #mayTakeWorker(unit: string): boolean {
    return this.#units.size < 2 || this.#held(unit) < this.#maxWorkersPerUnit;
  }

  /** Started jobs of a slot: all of them, or (sequential worker) at most its head. */
  #startedIn(slot: Slot): number {
    if (this.#concurrency > 1) return slot.active.length;
    return slot.active.length > 0 && slot.active[0]!.started ? 1 : 0;
  }

  /**
   * Jobs a worker holds at once. A sequential worker (concurrency 1) also holds the next jobs, so
   * it starts them without waiting for a round trip through the main thread; a job's deadline
   * starts when it does, and a job that has not started can be taken back (requeued when the
   * worker is replaced, moved to an idle worker, dropped when aborted).
   */
  get #capacity(): number { return this.#concurrency === 1 ? PREFETCH_DEPTH : this.#concurrency; }

  /** A sequential worker is refilled once it holds this many jobs or fewer: batches, not singles. */
  get #lowWater(): number { return this.#concurrency === 1 ? PREFETCH_DEPTH / 2 : this.#concurrency - 1; }

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
    if (!this.#queues.has(unit)) { this.#queues.set(unit, []); this.#servedAt.set(unit, 0); }
    for (const slot of this.#slots) slot.worker.postMessage({ type: 'load', unit, module, config });
  }

  /**
   * Runs a job on the first free worker its unit may use, or queues it in its unit's queue. Jobs of
   * one unit start in the order they were submitted; a job waiting behind a busy worker may move to
   * an idle one.
   *
   * Admission: a job that must wait is refused with `WASMLET_ERR_QUEUE_FULL` when (with
   * `admitByExpectedWait`) its expected wait (jobs of its unit waiting, times the unit's average
   * run time, over the worker slots the unit may use) is at least its `timeoutMs` (it would fail at its deadline anyway; refusing now
   * costs nothing and tells the client to retry), when the waiting jobs' bytes would pass
   * `maxQueuedBytes`, or when the unit already has `maxQueue` jobs waiting.
   * @returns the handler's result.
   * @throws WasmletError `WASMLET_ERR_QUEUE_FULL` (see admission above),
   *   `WASMLET_ERR_TIMEOUT` (deadline passed while waiting, or while running: the worker was
   *   replaced), `WASMLET_ERR_TRAP` (blame guest),
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
      const now = performance.now();
      const pending: Pending = {
        job, resolve, reject, id: this.#nextId++, started: false, submittedAt: now, waitBytes: 0, startedAt: Infinity,
        deadline: job.timeoutMs === undefined ? Infinity : now + job.timeoutMs, onAbort: undefined, cell: -1, seq: 0,
      };
      if (job.signal) {
        if (job.signal.aborted) { reject(aborted()); return; }
        pending.onAbort = () => this.cancel(job);
        job.signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      const queue = this.#queues.get(job.unit)!;
      if (queue.length === 0) {
        const idle = this.#idleSlot();
        if (idle && this.#mayTakeWorker(job.unit)) {
          this.#servedAt.set(job.unit, ++this.#serial);
          this.#post(idle, [pending]);
          return;
        }
      }
      const refused = this.#admit(job, queue.length + this.#prefetched(job.unit));
      if (refused) { this.#settle(pending, refused); return; }
      queue.push(pending);
      this.#queuedTotal++;
      pending.waitBytes = waitBytes(job);
      this.#waitingBytes += pending.waitBytes;
      // Requests that arrive in the same turn of the event loop go out together, in one message.
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => { this.#flushScheduled = false; this.#fill(); });
      }
    });
  }

  /** Why a job that must wait is refused (see {@link run}), or undefined when it may wait. */
  #admit(job: PoolJob, waiting: number): WasmletError | undefined {
    if (waiting >= this.#maxQueue) {
      return new WasmletError('WASMLET_ERR_QUEUE_FULL',
        `'${job.unit}' already has ${waiting} requests waiting for a worker (--max-queue); retry later`);
    }
    if (this.#waitingBytes + waitBytes(job) > this.#maxQueuedBytes) {
      return new WasmletError('WASMLET_ERR_QUEUE_FULL',
        `requests waiting for a worker already hold ${Math.round(this.#waitingBytes / 1048576)} MiB (the bound is ${Math.round(this.#maxQueuedBytes / 1048576)} MiB); retry later`);
    }
    const runMs = this.#admitByExpectedWait ? this.#runMs.get(job.unit) : undefined;
    if (runMs !== undefined && job.timeoutMs !== undefined) {
      // Jobs ahead of it, plus on average half a run until a slot frees.
      const expectedMs = ((waiting + 0.5) * runMs) / (this.#workersFor(job.unit) * this.#concurrency);
      if (expectedMs >= job.timeoutMs) {
        return new WasmletError('WASMLET_ERR_QUEUE_FULL',
          `'${job.unit}' has ${waiting} requests waiting; at ${runMs.toFixed(1)} ms each the wait (~${Math.round(expectedMs)} ms) would pass the ${job.timeoutMs} ms timeout; retry later`);
      }
    }
    return undefined;
  }

  /**
   * Cancels `job` (the object passed to {@link run}) if it has not started: it never runs and its
   * `run` rejects with `WASMLET_ERR_ABORTED`. A running or settled job is left alone.
   * @returns true when the job was cancelled.
   */
  cancel(job: PoolJob): boolean {
    const queue = this.#queues.get(job.unit) ?? [];
    const i = queue.findIndex((p) => p.job === job);
    let pending: Pending | undefined;
    if (i >= 0) {
      pending = queue[i]!;
      queue.splice(i, 1);
      this.#queuedTotal--;
    } else {
      for (const slot of this.#slots) {
        for (const p of slot.active) {
          if (p.job !== job) continue;
          if (!this.#takeBack(slot, p)) return false; // it runs on
          pending = p;
          break;
        }
        if (pending) break;
      }
    }
    if (!pending) return false;
    this.#settle(pending, aborted());
    return true;
  }

  /** Terminates every worker; running and queued jobs reject with `WASMLET_ERR_POOL_CLOSED`. */
  async close(): Promise<void> {
    this.#closed = true;
    const err = new WasmletError('WASMLET_ERR_POOL_CLOSED', 'the worker pool is shut down');
    for (const p of this.#drainQueues()) this.#settle(p, err);
    const slots = this.#slots.splice(0);
    for (const slot of slots) {
      if (slot.timer) clearTimeout(slot.timer);
      for (const p of slot.active) this.#settle(p, err);
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #idleSlot(): Slot | undefined {
    for (const slot of this.#slots) if (slot.ready && slot.active.length === 0) return slot;
    return undefined;
  }

  /** Empties every unit's queue; returns the jobs. */
  #drainQueues(): Pending[] {
    const all: Pending[] = [];
    for (const queue of this.#queues.values()) all.push(...queue.splice(0));
    this.#queuedTotal = 0;
    return all;
  }

  /**
   * Hands queued jobs to workers at or below the low-water mark. Units take turns (the least
   * recently served first);
   * a unit's jobs go to a worker already holding that unit's jobs, else to an empty worker while
   * the unit may take one more ({@link WorkerPoolOptions.maxWorkersPerUnit}). Among candidates:
   * the least loaded, then the one whose current job started most recently (a job that has
   * already run long is the likeliest to run on, and prefetched jobs wait behind it).
   */
  #fill(): void {
    let progressed = true;
    while (this.#queuedTotal > 0 && progressed) {
      progressed = false;
      const turns = [...this.#queues.keys()].filter((u) => this.#queues.get(u)!.length > 0)
        .sort((x, y) => this.#servedAt.get(x)! - this.#servedAt.get(y)!);
      for (const unit of turns) {
        if (!this.#dropExpired(unit)) continue;
        const mayTake = this.#mayTakeWorker(unit);
        const othersWaiting = this.#othersWaiting(unit);
        let best: Slot | undefined;
        for (const slot of this.#slots) {
          if (!slot.ready || slot.active.length > this.#lowWater) continue;
          const held = unitOf(slot);
          if (held === undefined ? !mayTake : held !== unit || othersWaiting) continue;
          if (!best || slot.active.length < best.active.length
            || (slot.active.length === best.active.length && headStart(slot) > headStart(best))) best = slot;
        }
        if (!best) continue;
        this.#servedAt.set(unit, ++this.#serial);
        this.#post(best, this.#take(unit, this.#capacity - best.active.length));
        progressed = true;
      }
    }
  }

  /**
   * Fails the jobs at the head of `unit`'s queue whose deadline has passed (they never run).
   * @returns whether jobs are left in the queue.
   */
  #dropExpired(unit: string): boolean {
    const queue = this.#queues.get(unit)!;
    if (queue.length === 0) return false;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.deadline <= now) {
      const p = queue.shift()!;
      this.#queuedTotal--;
      this.#settle(p, waitedTooLong(p, now));
    }
    return queue.length > 0;
  }

  /**
   * Whether a unit other than `unit` has jobs waiting and may take a worker once one is free: then
   * a worker holding `unit`'s jobs takes no more of them, drains, and goes to the next unit in turn.
   */
  #othersWaiting(unit: string): boolean {
    if (this.#queuedTotal === this.#queues.get(unit)!.length) return false;
    for (const [other, queue] of this.#queues) {
      if (other !== unit && queue.length > 0 && this.#mayTakeWorker(other)) return true;
    }
    return false;
  }

  /** Removes up to `max` jobs from the head of `unit`'s queue (in order). */
  #take(unit: string, max: number): Pending[] {
    const jobs = this.#queues.get(unit)!.splice(0, max);
    this.#queuedTotal -= jobs.length;
    return jobs;
  }

  /** Posts `jobs` to `slot` in one message. */
  #post(slot: Slot, jobs: Pending[]): void {
    const claims = slot.claims!;
    const wire: WireJob[] = [];
    const transfer: Transferable[] = [];
    for (const pending of jobs) {
      const { job } = pending;
      const startsNow = this.#concurrency > 1 || slot.active.length === 0;
      if (startsNow) this.#started(slot, pending);
      pending.cell = slot.freeCells.pop()!;
      pending.seq = slot.nextSeq++;
      Atomics.store(claims, pending.cell, pending.seq);
      slot.active.push(pending);
      wire.push([pending.id, pending.cell, pending.seq, job.unit, job.input]);
      // Move buffers only into a job that starts now: one that waits may be taken back and posted
      // again, which a transferred (detached) buffer cannot be.
      if (startsNow && job.transfer) transfer.push(...job.transfer);
    }
    slot.worker.postMessage({ type: 'runs', jobs: wire }, transfer);
  }

  #started(slot: Slot, pending: Pending): void {
    pending.started = true;
    this.#waitingBytes -= pending.waitBytes;
    pending.waitBytes = 0;
    pending.startedAt = performance.now();
    if (pending.deadline < slot.timerAt) this.#arm(slot, pending.deadline);
    this.#observer?.jobStarted(pending.job.unit);
  }

  /** (Re)arms `slot`'s deadline timer to fire at `at` (performance.now() time). */
  #arm(slot: Slot, at: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timerAt = at;
    slot.timer = setTimeout(() => this.#deadlinePassed(slot), Math.max(0, Math.ceil(at - performance.now())));
    slot.timer.unref(); // the worker keeps the process alive while it runs anything
  }

  /** The deadline timer fired: stop a job past its deadline, or re-arm for the earliest one left. */
  #deadlinePassed(slot: Slot): void {
    slot.timer = undefined;
    slot.timerAt = Infinity;
    if (!this.#slots.includes(slot)) return;
    const now = performance.now();
    let earliest = Infinity;
    for (const p of slot.active) {
      if (!p.started) continue;
      if (p.deadline <= now) { this.#timeout(slot, p); return; }
      if (p.deadline < earliest) earliest = p.deadline;
    }
    if (earliest < Infinity) this.#arm(slot, earliest);
  }

  #settle(pending: Pending, err: unknown, result?: unknown): void {
    this.#waitingBytes -= pending.waitBytes;
    pending.waitBytes = 0;
    if (pending.onAbort) pending.job.signal!.removeEventListener('abort', pending.onAbort);
    this.#observer?.jobSettled(pending.job.unit, err ? (err instanceof WasmletError ? err.code : 'WASMLET_ERR_INTERNAL') : undefined);
    if (err) pending.reject(err); else pending.resolve(result);
  }

  /** Takes a prefetched job back from its worker; false if the worker has already claimed it. */
  #takeBack(slot: Slot, pending: Pending): boolean {
    if (pending.started || Atomics.compareExchange(slot.claims!, pending.cell, pending.seq, FREE) !== pending.seq) return false;
    this.#release(slot, pending);
    return true;
  }

  #release(slot: Slot, pending: Pending): void {
    const i = slot.active.indexOf(pending);
    if (i === 0) slot.active.shift(); // the usual case: the running head finished
    else if (i > 0) slot.active.splice(i, 1);
    slot.freeCells.push(pending.cell);
  }

  /** After a job of `slot` settled: start the next one's clock, refill, or borrow work. */
  #pump(slot: Slot): void {
    if (!slot.ready || !this.#slots.includes(slot)) return;
    if (this.#concurrency === 1) {
      // The worker moves on to the next job; one whose deadline passed while it waited is taken
      // back and failed rather than started and killed (a worker replacement costs far more).
      const now = performance.now();
      let head = slot.active[0];
      while (head && !head.started && head.deadline <= now && this.#takeBack(slot, head)) {
        this.#settle(head, waitedTooLong(head, now));
        head = slot.active[0];
      }
      if (head && !head.started) this.#started(slot, head);
    }
    if (slot.active.length > this.#lowWater) return;
    const unit = unitOf(slot);
    if (unit !== undefined) {
      // Still holding its unit's jobs: top up from that unit's queue, unless another unit is
      // waiting: then the worker drains and goes to the next unit in turn.
      if (!this.#othersWaiting(unit) && this.#dropExpired(unit)) {
        this.#post(slot, this.#take(unit, this.#capacity - slot.active.length));
      }
    } else if (this.#queuedTotal > 0) {
      this.#fill(); // an empty worker goes to the next unit in turn
    } else if (this.#concurrency === 1) {
      this.#steal(slot);
    }
  }

  /** An idle sequential worker takes the oldest waiting job of the busiest other worker. */
  #steal(idle: Slot): void {
    let victim: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot !== idle && slot.active.length > 1 && (!victim || slot.active.length > victim.active.length)
        && this.#mayTakeWorker(unitOf(slot)!)) victim = slot;
    }
    if (!victim) return;
    const waiting = victim.active.slice(1, 1 + Math.ceil((victim.active.length - 1) / 2));
    const taken = waiting.filter((p) => this.#takeBack(victim, p));
    if (taken.length > 0) this.#post(idle, taken);
  }

  /** Folds a finished job's run time into its unit's moving average (for admission). */
  #ranFor(pending: Pending): void {
    const ms = performance.now() - pending.startedAt;
    const avg = this.#runMs.get(pending.job.unit);
    this.#runMs.set(pending.job.unit, avg === undefined ? ms : avg + RUN_TIME_WEIGHT * (ms - avg));
  }

  #timeout(slot: Slot, pending: Pending): void {
    this.#ranFor(pending);
    this.#replace(slot, (p) => p === pending
      ? new WasmletError('WASMLET_ERR_TIMEOUT',
        `the guest ran longer than its ${pending.job.timeoutMs} ms timeout and was stopped`, { blame: 'guest' })
      : lost());
  }

  /** Terminates `slot`'s worker, fails its started jobs, requeues the others, and respawns it. */
  #replace(slot: Slot, errorFor: (p: Pending) => WasmletError): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    const jobs = slot.active.slice();
    slot.reservedFor = unitOf(slot);
    slot.ready = false; // nothing more goes to it
    if (slot.timer) { clearTimeout(slot.timer); slot.timer = undefined; slot.timerAt = Infinity; }
    void slot.worker.terminate();
    // A job the worker claimed has started even if its predecessor's `done` is still on its way:
    // it fails rather than risk running twice. The others never ran: they go back to the queue,
    // ahead of newer work.
    const requeue = jobs.filter((p) => this.#takeBack(slot, p));
    slot.active.length = 0;
    for (const p of jobs) if (!requeue.includes(p)) this.#settle(p, errorFor(p));
    for (const p of requeue) p.cell = -1;
    for (const p of requeue.toReversed()) this.#queues.get(p.job.unit)!.unshift(p);
    this.#queuedTotal += requeue.length;
    for (const other of this.#slots) if (other !== slot) this.#pump(other);
    this.#fill();
    if (!this.#closed) void this.#spawn(index, slot.reservedFor).catch(() => {});
  }

  #spawn(index: number, reservedFor?: string): Promise<void> {
    const worker = new Worker(workerEntry(import.meta.url, './pool-worker'), {
      workerData: { handler: this.#handler.href, cells: this.#capacity },
    });
    const slot: Slot = {
      worker, reservedFor, active: [], ready: false, claims: null,
      freeCells: Array.from({ length: this.#capacity }, (_, i) => this.#capacity - 1 - i), nextSeq: 1,
      timer: undefined, timerAt: Infinity,
    };
    this.#slots[index] = slot;
    for (const [unit, { module, config }] of this.#units) worker.postMessage({ type: 'load', unit, module, config });
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          slot.claims = new Int32Array(msg.claims);
          slot.ready = true;
          slot.reservedFor = undefined;
          this.#startupFailures = 0;
          resolve();
          this.#fill();
          if (slot.active.length === 0) this.#steal(slot);
          return;
        }
        const pending = byId(slot.active, msg.id);
        if (!pending) return; // a job already failed by timeout
        if (msg.type === 'event') { pending.job.onEvent?.(msg.event); return; }
        this.#release(slot, pending);
        this.#ranFor(pending);
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
            for (const p of this.#drainQueues()) this.#settle(p, err);
            for (const p of slot.active) this.#settle(p, err);
            slot.active.length = 0;
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

function byId(jobs: Pending[], id: number): Pending | undefined {
  for (const p of jobs) if (p.id === id) return p;
  return undefined;
}

/** What a waiting job counts against {@link WorkerPoolOptions.maxQueuedBytes}. */
function waitBytes(job: PoolJob): number {
  return (job.bytes ?? 0) + JOB_OVERHEAD_BYTES;
}

/** The unit whose jobs `slot` holds (a worker holds one unit's jobs at a time), if any. */
function unitOf(slot: Slot): string | undefined {
  return slot.active.length > 0 ? slot.active[0]!.job.unit : slot.reservedFor;
}

function waitedTooLong(p: Pending, now: number): WasmletError {
  return new WasmletError('WASMLET_ERR_TIMEOUT',
    `the request waited ${Math.round(now - p.submittedAt)} ms for a worker, past its ${p.job.timeoutMs} ms timeout; it did not run`,
    { blame: 'host' });
}

/** When the running job of a slot started (Infinity if none has). */
function headStart(slot: Slot): number {
  if (slot.active.length === 0) return Infinity;
  return slot.active[0]!.startedAt;
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
