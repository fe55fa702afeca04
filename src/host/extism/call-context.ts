// The object an Extism host function receives first: js-sdk's CallContext (extism/js-sdk
// src/call-context.ts at v2.0.0-rc13), over wasmlet's kernel. Addresses are bigint, as the ABI's
// i64 values arrive in JS.
import { logLevelToPriority, type ExtismKernel, type LogLevel } from './kernel.ts';
import { PluginOutput } from './plugin-output.ts';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
const encoder = new TextEncoder();

/**
 * What a host function (`functions: { [namespace]: { [name]: (callContext, ...args) => ... } }`)
 * uses to reach the calling plugin's kernel: read and store blocks, the plugin's vars, its error.
 */
export class CallContext {
  readonly #kernel: ExtismKernel;

  /** @hidden built by the plugin, one per plugin. */
  constructor(kernel: ExtismKernel) {
    this.#kernel = kernel;
  }

  /** The value passed as the third argument of `plugin.call` (undefined when none). */
  hostContext<T = unknown>(): T {
    return this.#kernel.hostContext as T;
  }

  /** Allocates `size` bytes of kernel memory. @returns the address, 0n when `memory.maxPages` refuses it. */
  alloc(size: bigint | number): bigint {
    return BigInt(this.#kernel.alloc(Number(size)));
  }

  /** A copy of the block at `addr` (e.g. an argument the plugin passed); null when `addr` is not a live block. */
  read(addr: bigint | number): PluginOutput | null {
    return this.#kernel.read(Number(addr));
  }

  /**
   * Stores a string (UTF-8) or bytes in a new block, e.g. to return it to the plugin.
   * @returns its address. @throws Error `failed to store output` when `memory.maxPages` refuses it.
   */
  store(data: string | Uint8Array): bigint {
    return BigInt(this.#kernel.storeOrThrow(typeof data === 'string' ? encoder.encode(data) : data));
  }

  /** The length in bytes of the block at `addr` (0n when it is not a live block). */
  length(addr: bigint | number): bigint {
    const n = this.#kernel.memory.length(Number(addr));
    return n < 0 ? 0n : BigInt(n);
  }

  /** The plugin's var `name` (a copy), or null. */
  getVariable(name: string): PluginOutput | null {
    const v = this.#kernel.getVariable(name);
    if (v === undefined) return null;
    return new PluginOutput(v.slice().buffer);
  }

  /**
   * Sets the plugin's var `name` (it persists across calls, like one the plugin set itself).
   * @throws Error `var memory limit exceeded: ...` past `memory.maxVarBytes`.
   */
  setVariable(name: string, value: string | Uint8Array): void {
    this.#kernel.setVariable(name, typeof value === 'string' ? encoder.encode(value) : value.slice());
  }

  deleteVariable(name: string): void {
    this.#kernel.deleteVariable(name);
  }

  /** Makes the current call fail with `err` (`Plugin-originated error: ...`), as `error_set` does. */
  setError(err: string | Error): void {
    this.#kernel.errorOffset = this.#kernel.storeOrThrow(encoder.encode(err instanceof Error ? err.message : err));
  }

  /** The level plugin logs are filtered at (settable). */
  get logLevel(): LogLevel {
    return LEVELS[this.#kernel.priority] ?? 'silent';
  }

  set logLevel(level: LogLevel) {
    this.#kernel.priority = logLevelToPriority(level);
  }
}
