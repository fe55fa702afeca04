// Which component instance serves a plugin call: a fresh one per call (the default: no state
// survives a call), or one long-lived instance that keeps its state between calls, as an Extism
// plugin does (extism/js-sdk `src/foreground-plugin.ts`: one instance per plugin, `reset()` to start over), until a call fails.
// Fresh instances are built ahead of time (PrewarmedInstances), off the call's latency path.
import { PrewarmedInstances, type ReadyInstance } from '../engine/component/prewarmed-instances.ts';
import type { ComponentHostOptions } from '../engine/component/component-host.ts';
import type { PreparedComponent } from '../engine/component/transpile.ts';

/** `per-call`: a fresh instance for every call; `long-lived`: one instance until a call fails. */
export type InstanceMode = 'per-call' | 'long-lived';

/** The instances of one plugin on one thread. */
export class PluginInstances {
  readonly #ready: PrewarmedInstances;
  readonly #mode: InstanceMode;
  #kept: ReadyInstance | undefined;

  constructor(prepared: PreparedComponent, host: ComponentHostOptions, mode: InstanceMode) {
    this.#mode = mode;
    // A long-lived plugin needs a spare only after a failed call.
    this.#ready = new PrewarmedInstances(prepared, host, { size: mode === 'long-lived' ? 1 : 2 });
  }

  /** The instance for the next call (the kept one, or a fresh one). */
  async acquire(): Promise<ReadyInstance> {
    return this.#kept ?? await this.#ready.take();
  }

  /**
   * Ends a call on `ready`. `healthy`: the call returned (a value, or the `err` of a `result`);
   * anything else (a trap, a host function's throw unwinding the guest) may have left the
   * instance's state half-updated, so it is retired even when long-lived.
   */
  release(ready: ReadyInstance, healthy: boolean): void {
    if (this.#mode === 'long-lived' && healthy) { this.#kept = ready; return; }
    if (this.#kept === ready) this.#kept = undefined;
    ready.instance.retire();
    ready.host.close();
  }

  /** Retires the kept instance and stops building fresh ones. */
  close(): void {
    if (this.#kept !== undefined) this.release(this.#kept, false);
    this.#ready.close();
  }
}
