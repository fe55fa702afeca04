// The host side of in-process preemption: the `wasmlet:preempt` `tick` import a module rewritten
// by rewrite-module.ts calls when its budget of checks runs out. Like Wasmtime's epoch deadline
// callback (wasmtime crates/wasmtime/src/runtime/store.rs, `epoch_deadline_callback`), the tick
// either hands out more budget or ends the call; here the deadline is a wall-clock instant read
// with `performance.now()`.
import { WasmletError } from '../../util/errors.ts';
import { PREEMPT_IMPORT_MODULE, PREEMPT_IMPORT_NAME } from './rewrite-module.ts';

/**
 * Checks between two deadline reads (default). A check is a function entry or 64 loop
 * iterations (rewrite-module.ts); a tick (a Wasm-to-JS call and `performance.now()`) costs
 * ~50-80 ns (bench/preempt.ts), so at this budget ticks are noise, and a tight loop (~0.5 ns an
 * iteration) reads the clock every ~0.3 ms: it is stopped that close to its deadline.
 */
export const DEFAULT_CHECKS_PER_TICK = 10_000;

/** Options of {@link PreemptionClock}. */
export interface PreemptionClockOptions {
  /** Checks (loop iterations, function entries) between two reads of the clock. Default {@link DEFAULT_CHECKS_PER_TICK}. */
  checksPerTick?: number;
  /**
   * The error a preempted call ends with, given the armed timeout (ms). Default: WasmletError
   * `WASMLET_ERR_TIMEOUT` "the guest ran past its deadline of N ms and was stopped".
   */
  timeoutError?: (timeoutMs: number) => Error;
}

/** The imports object fragment a rewritten module needs: `{ 'wasmlet:preempt': { tick } }`. */
export type PreemptImports = Record<typeof PREEMPT_IMPORT_MODULE, Record<typeof PREEMPT_IMPORT_NAME, () => number>>;

/** Whether `module` was rewritten by `rewriteForPreemption` (it imports `wasmlet:preempt` `tick`). */
export function isPreemptible(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.module === PREEMPT_IMPORT_MODULE && i.name === PREEMPT_IMPORT_NAME);
}

/**
 * A deadline for the calls into one instance (or several instances run one at a time on this
 * thread). Arm it before a call, disarm it after: while armed and past the deadline every tick
 * throws the timeout error, so a guest that catches the exception (Wasm EH `catch_all`) and goes
 * on looping or recursing meets the next check and is thrown out again, one enclosing loop or
 * frame at a time. After a preemption, whatever the guest turned the exception into (a trap, its
 * own exception) the call is reported as the timeout: use {@link settle}; a call that returns
 * normally with {@link expired} set swallowed the preemption and is a timeout too.
 */
export class PreemptionClock {
  readonly imports: PreemptImports;
  readonly #budget: number;
  readonly #timeoutError: (timeoutMs: number) => Error;
  #deadline = Infinity;
  #timeoutMs = 0;
  #expired = false;

  constructor(options: PreemptionClockOptions = {}) {
    const budget = options.checksPerTick ?? DEFAULT_CHECKS_PER_TICK;
    if (!Number.isInteger(budget) || budget < 1 || budget > 0x7fffffff) {
      throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `checksPerTick must be an integer from 1 to 2^31-1, got ${budget}`, { blame: 'user' });
    }
    this.#budget = budget;
    this.#timeoutError = options.timeoutError
      ?? ((ms) => new WasmletError('WASMLET_ERR_TIMEOUT', `the guest ran past its deadline of ${ms} ms and was stopped`, { blame: 'guest' }));
    const tick = (): number => {
      this.check();
      return this.#budget;
    };
    this.imports = { [PREEMPT_IMPORT_MODULE]: { [PREEMPT_IMPORT_NAME]: tick } } as PreemptImports;
  }

  /** Starts a deadline `timeoutMs` (ms, > 0) from now; clears a past preemption. Returns the deadline (`performance.now()` ms). */
  arm(timeoutMs: number): number {
    this.#timeoutMs = timeoutMs;
    this.#expired = false;
    return this.#deadline = performance.now() + timeoutMs;
  }

  /** No deadline: ticks only refill the budget (start-up without a limit, calls between arms). */
  disarm(): void {
    this.#deadline = Infinity;
  }

  /** Makes every further tick throw, now (a deadline enforced from outside, e.g. a timer while suspended). */
  expire(): void {
    this.#deadline = -Infinity;
  }

  /**
   * Throws the timeout error, and marks the call preempted, when the deadline has passed: what a
   * tick does, for host code that runs between guest checks (e.g. linking a plugin's modules).
   */
  check(): void {
    if (performance.now() < this.#deadline) return;
    this.#expired = true;
    throw this.#timeoutError(this.#timeoutMs);
  }

  /** True once a tick (or {@link check}) threw since the last {@link arm}: the call was preempted. */
  get expired(): boolean { return this.#expired; }

  /**
   * The error to report for `err`, thrown by a call made while armed: the timeout error when the
   * call was preempted (the guest may have caught the tick's exception and trapped instead),
   * else `err` itself (a trap stays a trap).
   */
  settle(err: unknown): unknown {
    if (!this.#expired) return err;
    return isTimeout(err) ? err : this.#timeoutError(this.#timeoutMs);
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof WasmletError && err.code === 'WASMLET_ERR_TIMEOUT';
}
