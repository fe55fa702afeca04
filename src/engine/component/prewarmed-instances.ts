// A few never-used instances of one component, built ahead of time when the thread is idle, so a
// request takes one that is ready instead of paying instantiation on its latency path. Isolation
// is unchanged: every instance has its own host (built from the same grants) and serves exactly
// one request; `take` never hands out an instance twice. It moves work, it does not remove it: on
// a saturated CPU each request still costs one instantiation (done a little earlier). Refills run
// only while no taken instance is still serving: instantiation is synchronous work on this
// thread, and refilling while a request is in flight would put it back on that request's latency.
import type { WasiP2Host } from '../../host/wasi/p2/host.ts';
import { createComponentHost, type ComponentHostOptions } from './component-host.ts';
import { createComponentInstance, type ComponentInstance } from './instantiate.ts';
import type { PreparedComponent } from './transpile.ts';

/** A fresh instance and the host it was built with, handed out once. */
export interface ReadyInstance {
  host: WasiP2Host;
  instance: ComponentInstance;
}

/** Options for {@link PrewarmedInstances}. */
export interface PrewarmOptions {
  /** Instances kept ready. Default 2. 0 disables pre-warming (`take` always instantiates now). */
  size?: number;
}

/** Counters of a {@link PrewarmedInstances}. */
export interface PrewarmStats {
  /** `take` calls served by a ready instance. */
  hits: number;
  /** `take` calls that had to instantiate on the spot. */
  misses: number;
  /** Instances built ahead of time so far. */
  built: number;
}

/**
 * Keeps up to `size` ready instances of `prepared`, each with its own host built from
 * `hostOptions` (the component's grants: the same for every request). Refills one instance per
 * event-loop turn (`setImmediate`) so requests interleave with the refill.
 */
export class PrewarmedInstances {
  #prepared: PreparedComponent;
  #hostOptions: ComponentHostOptions;
  #size: number;
  #ready: ReadyInstance[] = [];
  #filling = false;
  #closed = false;
  #stats: PrewarmStats = { hits: 0, misses: 0, built: 0 };
  #waiters: (() => void)[] = [];
  #inFlight = 0;

  constructor(prepared: PreparedComponent, hostOptions: ComponentHostOptions = {}, options: PrewarmOptions = {}) {
    this.#prepared = prepared;
    this.#hostOptions = hostOptions;
    this.#size = options.size ?? 2;
    this.#scheduleFill();
  }

  /** Builds one instance now (the path a request takes when none is ready). */
  async #build(): Promise<ReadyInstance> {
    const host = createComponentHost(this.#hostOptions);
    return { host, instance: await createComponentInstance(this.#prepared, host.imports) };
  }

  #scheduleFill(): void {
    if (this.#filling || this.#closed || this.#inFlight > 0 || this.#ready.length >= this.#size) return;
    this.#filling = true;
    setImmediate(() => {
      this.#build().then((ready) => {
        this.#filling = false;
        if (this.#closed) {
          ready.instance.retire(); // never ran a call: safe to give its memory back
          return;
        }
        this.#stats.built++;
        this.#ready.push(ready);
        for (const w of this.#waiters.splice(0)) w();
        this.#scheduleFill();
      }, () => {
        // Instantiation failed (e.g. a start function trapped): stop pre-warming; `take` will
        // instantiate on the spot and report the error to the request that needs it.
        this.#filling = false;
        this.#closed = true;
        for (const w of this.#waiters.splice(0)) w();
      });
    });
  }

  /**
   * A never-used instance: a ready one if any (FIFO), else one built now. The caller owns it,
   * calls into it for one request, and retires it when that call has settled (retiring also lets
   * the pool refill once nothing is in flight; an instance never retired stops refills, and
   * `take` then instantiates on the spot).
   * @throws whatever instantiation throws when none is ready (see `createComponentInstance`).
   */
  async take(): Promise<ReadyInstance> {
    const ready = this.#ready.shift();
    let taken: ReadyInstance;
    if (ready !== undefined) {
      this.#stats.hits++;
      taken = ready;
    } else {
      this.#stats.misses++;
      taken = await this.#build();
    }
    this.#inFlight++;
    const { instance } = taken;
    let retired = false;
    return {
      host: taken.host,
      instance: {
        exports: instance.exports,
        retire: () => {
          instance.retire();
          if (retired) return;
          retired = true;
          this.#inFlight--;
          this.#scheduleFill();
        },
      },
    };
  }

  /**
   * Resolves once an instance is ready (e.g. before a server starts listening), or at once when
   * pre-warming stopped (closed, or instantiation failed: `take` then reports the error).
   */
  whenReady(): Promise<void> {
    if (this.#ready.length > 0 || this.#closed || this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops refilling and retires the idle instances (they never ran a call). */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w();
    for (const r of this.#ready.splice(0)) r.instance.retire();
  }

  /** Counters since creation. */
  stats(): PrewarmStats {
    return { ...this.#stats };
  }
}
