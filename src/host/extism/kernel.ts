// The Extism kernel ABI (`extism:host/env`) implemented in TypeScript: the host side of what the
// Extism PDKs call. Semantics follow the Rust runtime's kernel (extism/extism kernel/src/lib.rs:
// input/output/error registers per call, vars that outlive calls) and, where the two hosts differ
// in what a caller can observe, the JS host this API mirrors (extism/js-sdk src/call-context.ts at
// v2.0.0-rc13: log texts, the var limit message, `config_get`/`var_get` freeing the key block,
// `get_log_level` values). The heap is {@link KernelMemory}.
import { KernelMemory, type KernelBuffer } from './kernel-memory.ts';
import { PluginOutput } from './plugin-output.ts';

/** The `extism:host/env` import module name. */
export const EXTISM_ENV = 'extism:host/env';

/** Extism's log levels, most verbose first; `silent` logs nothing (the default). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Where plugin logs (`log_*`) and kernel complaints go: `console` by default. */
export type ExtismLogger = Pick<Console, 'trace' | 'debug' | 'info' | 'warn' | 'error'>;

const PRIORITY: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, silent: 0x7fff_ffff };

/**
 * The priority Extism gives a level (`trace` 0 ... `error` 4, `silent` 2^31-1).
 * @throws TypeError for an unknown level, with js-sdk's message.
 */
export function logLevelToPriority(level: LogLevel): number {
  const p = PRIORITY[level];
  if (p === undefined) {
    throw new TypeError(`unrecognized log level "${level}"; expected one of "trace", "debug", "info", "warn", "error", "silent"`);
  }
  return p;
}

/** The per-plugin data a kernel is built from (plain data: it crosses to a worker). */
export interface KernelOptions {
  /** `config_get` answers from this map; keys not in it read as absent. */
  config: Record<string, string>;
  logLevel: LogLevel;
  /** Extism `memory.maxPages`: cap on live kernel blocks, in 64 KiB pages. */
  maxPages?: number;
  /** Extism `memory.maxVarBytes`: cap on the bytes of all vars together. */
  maxVarBytes?: number;
  /** wasmlet: cap on the bytes of one output (`output_set` past it fails the call). */
  maxOutputBytes?: number;
}

/** Thrown by `output_set` past `maxOutputBytes` (the call rejects with it). */
export class OutputLimitError extends Error {
  override name = 'OutputLimitError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One plugin's kernel: its heap, vars, config and the current call's input/output/error
 * registers, plus the `extism:host/env` functions over them ({@link env}). Vars persist across
 * calls; blocks do not (each call starts with an empty heap, as in Extism).
 */
export class ExtismKernel {
  readonly memory: KernelMemory;
  readonly options: KernelOptions;
  logger: ExtismLogger;
  #priority: number;
  #vars = new Map<string, Uint8Array>();
  #varsSize = 0;
  #inputOff = 0;
  #inputLen = 0;
  #inputLenBig = 0n;
  #outputOff = 0;
  #outputLen = 0;
  #errorOff = 0;
  #hostContext: unknown = undefined;
  /** The `extism:host/env` import object (built once; per-call work is only the registers). */
  readonly env: Record<string, (...args: any[]) => any>;

  /** @param maxBytes the most an in-process (plain) heap buffer may grow to. */
  constructor(buffer: KernelBuffer, options: KernelOptions, logger: ExtismLogger, maxBytes?: number) {
    this.memory = new KernelMemory(buffer, options.maxPages, maxBytes);
    this.options = options;
    this.logger = logger;
    this.#priority = logLevelToPriority(options.logLevel);
    this.env = this.#buildEnv();
  }

  get priority(): number { return this.#priority; }
  set priority(p: number) { this.#priority = p; }
  /** The current call's host context (`plugin.call`'s third argument). */
  get hostContext(): unknown { return this.#hostContext; }
  set hostContext(v: unknown) { this.#hostContext = v; }

  /**
   * Starts a call: empties the heap, stores `input` (absent: no input block; a string is written
   * as UTF-8 straight into the heap), clears output/error.
   */
  begin(input: Uint8Array | string | undefined, hostContext?: unknown): void {
    this.memory.reset();
    this.#hostContext = hostContext;
    this.#outputOff = 0;
    this.#outputLen = 0;
    this.#errorOff = 0;
    if (input === undefined) {
      this.#inputOff = 0;
      this.#inputLen = 0;
    } else if (typeof input === 'string') {
      // UTF-8 needs at most 3 bytes per UTF-16 unit; the block is shrunk to what was written.
      // Near the `maxPages` cap that bound may not fit: encode first then (exact size).
      const off = this.memory.alloc(input.length * 3);
      if (off === 0) {
        const bytes = encoder.encode(input);
        this.#inputOff = this.storeOrThrow(bytes);
        this.#inputLen = bytes.byteLength;
      } else {
        const { written } = encoder.encodeInto(input, this.memory.u8.subarray(off, off + input.length * 3));
        this.memory.shrink(off, written);
        this.#inputOff = off;
        this.#inputLen = written;
      }
    } else {
      this.#inputOff = this.storeOrThrow(input);
      this.#inputLen = input.byteLength;
    }
    this.#inputLenBig = BigInt(this.#inputLen);
  }

  /** Ends a call: the error text `error_set` named, else the output bytes (null: none set). */
  end(): { output: Uint8Array | null; error: string | null } {
    this.#hostContext = undefined;
    if (this.#errorOff !== 0) {
      const len = this.memory.length(this.#errorOff);
      if (len >= 0) return { output: null, error: decoder.decode(this.memory.u8.subarray(this.#errorOff, this.#errorOff + len)) };
    }
    if (this.#outputOff === 0) return { output: null, error: null };
    return { output: this.memory.copyOut(this.#outputOff, this.#outputLen), error: null };
  }

  /** The offset of the current call's error block (0: none); set from a host function too. */
  get errorOffset(): number { return this.#errorOff; }
  set errorOffset(off: number) { this.#errorOff = off; }

  /** Stores `bytes` in a new block. @throws Error when the heap is full (`maxPages`). */
  storeOrThrow(bytes: Uint8Array): number {
    const off = this.store(bytes);
    if (off === 0) throw new Error('failed to store output');
    return off;
  }

  /** Stores `bytes` in a new block; 0 (logged) when the heap is full. */
  store(bytes: Uint8Array): number {
    const off = this.alloc(bytes.byteLength);
    if (off !== 0) this.memory.u8.set(bytes, off);
    return off;
  }

  /** Allocates `size` bytes, logging Extism's line when the `maxPages` cap refuses it. */
  alloc(size: number): number {
    const off = this.memory.alloc(size);
    if (off === 0) this.#allocFailed(size);
    return off;
  }

  /** Vars (name -> bytes), the live map. */
  get vars(): Map<string, Uint8Array> { return this.#vars; }

  /** Replaces every var (worker mode: the other thread's view after a host function). */
  replaceVars(vars: Map<string, Uint8Array>): void {
    this.#vars = vars;
    let size = 0;
    for (const v of vars.values()) size += v.byteLength;
    this.#varsSize = size;
  }

  getVariable(name: string): Uint8Array | undefined { return this.#vars.get(name); }

  /**
   * Sets var `name` to `value` (owned by the kernel from now on).
   * @throws Error `var memory limit exceeded: N bytes requested, M allowed` (js-sdk's text) past
   *   `maxVarBytes`; the var is then unchanged.
   */
  setVariable(name: string, value: Uint8Array): void {
    const old = this.#vars.get(name);
    const newSize = this.#varsSize + value.byteLength - (old?.byteLength ?? 0);
    const max = this.options.maxVarBytes;
    if (max !== undefined && max > 0 && newSize > max) {
      throw new Error(`var memory limit exceeded: ${newSize} bytes requested, ${max} allowed`);
    }
    this.#varsSize = newSize;
    this.#vars.set(name, value);
  }

  deleteVariable(name: string): void {
    const old = this.#vars.get(name);
    if (old === undefined) return;
    this.#vars.delete(name);
    this.#varsSize -= old.byteLength;
  }

  /** Reads the live block at `off` as a {@link PluginOutput} copy; null when `off` is not one. */
  read(off: number): PluginOutput | null {
    const len = this.memory.length(off);
    if (len < 0) return null;
    return new PluginOutput(this.memory.copyOut(off, len).buffer as ArrayBuffer);
  }

  #allocFailed(size: number): boolean {
    const max = this.options.maxPages;
    if (max === undefined) return false;
    this.logger.error(`memory limit exceeded: ${this.memory.pagesWith(size)} pages requested, ${max} allowed`);
    return true;
  }

  #readKey(addr: bigint): string | null {
    const off = Number(addr);
    const len = this.memory.length(off);
    if (len < 0) return null;
    return decoder.decode(this.memory.u8.subarray(off, off + len));
  }

  #log(priority: number, level: Exclude<LogLevel, 'silent'>, addr: bigint): void {
    const off = Number(addr);
    const len = this.memory.length(off);
    if (len < 0) {
      this.logger.error(`failed to log(${level}): bad block reference in addr 0x${addr.toString(16).padStart(64, '0')}`);
      return;
    }
    try {
      if (this.#priority <= priority) this.logger[level](decoder.decode(this.memory.u8.subarray(off, off + len)));
    } finally {
      this.memory.free(off);
    }
  }

  #buildEnv(): Record<string, (...args: any[]) => any> {
    // `mem.u8`/`mem.view` are read per access: an in-process heap's buffer is replaced as it grows.
    const mem = this.memory;
    return {
      alloc: (n: bigint): bigint => BigInt(this.alloc(Number(n))),
      free: (addr: bigint): void => { mem.free(Number(addr)); },
      length: (addr: bigint): bigint => { const n = mem.length(Number(addr)); return n < 0 ? 0n : BigInt(n); },
      length_unsafe: (addr: bigint): bigint => { const n = mem.length(Number(addr)); return n < 0 ? 0n : BigInt(n); },
      load_u8: (addr: bigint): number => mem.u8[Number(addr)] ?? 0,
      load_u64: (addr: bigint): bigint => mem.view.getBigUint64(Number(addr), true),
      store_u8: (addr: bigint, v: number): void => {
        const off = Number(addr);
        if (KernelMemory.writable(off)) mem.u8[off] = v;
      },
      store_u64: (addr: bigint, v: bigint): void => {
        const off = Number(addr);
        if (KernelMemory.writable(off)) mem.view.setBigUint64(off, v, true);
      },
      input_offset: (): bigint => BigInt(this.#inputOff),
      input_length: (): bigint => this.#inputLenBig,
      input_load_u8: (offs: bigint): number => mem.u8[this.#inputOff + Number(offs)] ?? 0,
      input_load_u64: (offs: bigint): bigint => mem.view.getBigUint64(this.#inputOff + Number(offs), true),
      output_set: (addr: bigint, length: bigint): void => {
        const off = Number(addr);
        const len = Number(length);
        const blockLen = mem.length(off);
        if (blockLen < 0) throw new Error(`cannot assign to this block (addr=${addr.toString(16).padStart(16, '0')}; length=${length})`);
        if (len > blockLen) throw new Error('length longer than target block');
        const max = this.options.maxOutputBytes;
        if (max !== undefined && len > max) throw new OutputLimitError(`output limit exceeded: ${len} bytes, ${max} allowed (memory.maxOutputBytes)`);
        this.#outputOff = off;
        this.#outputLen = len;
      },
      error_set: (addr: bigint): void => {
        const off = Number(addr);
        if (off !== 0 && mem.length(off) < 0) throw new Error('cannot assign error to this block');
        this.#errorOff = off;
      },
      error_get: (): bigint => BigInt(this.#errorOff),
      config_get: (addr: bigint): bigint => {
        const key = this.#readKey(addr);
        if (key === null) return 0n;
        mem.free(Number(addr));
        const config = this.options.config;
        if (!Object.hasOwn(config, key)) return 0n;
        return BigInt(this.storeOrThrow(encoder.encode(config[key])));
      },
      var_get: (addr: bigint): bigint => {
        const key = this.#readKey(addr);
        if (key === null) return 0n;
        mem.free(Number(addr));
        const value = this.#vars.get(key);
        return value === undefined ? 0n : BigInt(this.store(value));
      },
      var_set: (addr: bigint, valueAddr: bigint): void => {
        const key = this.#readKey(addr);
        if (key === null) {
          this.logger.error(`attempted to set variable using invalid key address (addr="${addr.toString(16)}H")`);
          return;
        }
        if (valueAddr === 0n) {
          this.deleteVariable(key);
          return;
        }
        const voff = Number(valueAddr);
        const vlen = mem.length(voff);
        if (vlen < 0) {
          this.logger.error(`attempted to set variable to invalid address (key="${key}"; addr="${valueAddr.toString(16)}H")`);
          return;
        }
        try {
          this.setVariable(key, mem.copyOut(voff, vlen));
        } catch (err) {
          // js-sdk logs the limit and fails the call with it (call-context.ts var_set).
          const message = (err as Error).message;
          this.logger.error(message);
          this.#errorOff = this.storeOrThrow(encoder.encode(message));
        }
      },
      http_request: (): bigint => { this.logger.error('http_request is not enabled'); return 0n; },
      http_status_code: (): number => { this.logger.error('http_status_code is not enabled'); return 0; },
      http_headers: (): bigint => { this.logger.error('http_headers is not enabled'); return 0n; },
      log_trace: (addr: bigint) => this.#log(0, 'trace', addr),
      log_debug: (addr: bigint) => this.#log(1, 'debug', addr),
      log_info: (addr: bigint) => this.#log(2, 'info', addr),
      log_warn: (addr: bigint) => this.#log(3, 'warn', addr),
      log_error: (addr: bigint) => this.#log(4, 'error', addr),
      get_log_level: (): number => this.#priority,
    };
  }
}
