// Where an Extism plugin runs: in-process (the caller's thread; fastest; with `timeoutMs`, every
// module of the plugin is rewritten with preemption checks, engine/preempt/, and a looping call is
// stopped at its deadline on this thread) or on a worker of its own (`runInWorker`, or a module
// the rewriter refuses: a looping call is stopped by terminating the worker). Both expose one interface to the
// embedding API (plugin/extism/create-plugin.ts).
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { CallContext } from '../../host/extism/call-context.ts';
import { ExtismHttp, type ExtismHttpOptions } from '../../host/extism/http.ts';
import { DEFAULT_KERNEL_MAX_BYTES, createKernelBuffer } from '../../host/extism/kernel-memory.ts';
import { EXTISM_ENV, ExtismKernel, type ExtismLogger, type KernelOptions } from '../../host/extism/kernel.ts';
import { WasmletError } from '../../util/errors.ts';
import { PreemptionClock } from '../preempt/preemption-clock.ts';
import { workerEntry } from '../../util/worker-entry.ts';
import { instantiatePlugin, isAsyncFunction, mainModule, type BoundHostFunction, type ExtismWasiGrants, type HostImports, type PluginInstance, type PluginModules } from './instance.ts';
import { deserializeError, serializeError, type HostReply, type PluginCallMessage, type PluginWorkerData, type PluginWorkerMessage } from './worker-protocol.ts';

export { CallContext } from '../../host/extism/call-context.ts';
export { PluginOutput } from '../../host/extism/plugin-output.ts';
export type { ExtismLogger, LogLevel } from '../../host/extism/kernel.ts';
export { mainModule } from './instance.ts';
export type { ExtismWasiGrants, PluginModules } from './instance.ts';

/** A host function as the embedder writes it: js-sdk's `(callContext, ...args) => value`. */
export type HostFunction = (callContext: CallContext, ...args: any[]) => any;

/** Everything a backend is built from. */
export interface PluginBackendSpec {
  /** The plugin's modules, `main` and those linked into it by name. */
  modules: PluginModules;
  kernel: KernelOptions;
  functions: Record<string, Record<string, HostFunction>>;
  wasi: ExtismWasiGrants | null;
  http: Omit<ExtismHttpOptions, 'fetch'> & { fetch?: typeof fetch };
  logger: ExtismLogger;
  /** Run on a worker of its own (always, when `timeoutMs` is set and the modules are not `preempted`). */
  worker: boolean;
  /**
   * Per call and start-up wall-clock limit, ms; null: none. In-process it needs `preempted`;
   * otherwise the worker mode runs.
   */
  timeoutMs: number | null;
  /**
   * True only when the caller itself wrote every module's checks with `rewriteForPreemption`
   * (engine/preempt/rewrite-module.ts). Never inferred from the module's imports: a module that
   * merely imports `wasmlet:preempt` `tick` may have no checks, and would run unstoppable in-process.
   */
  preempted: boolean;
}

/** A running plugin, whichever mode. */
export interface PluginBackend {
  /** @returns the output bytes (null: none set). @throws see PluginInstance.call; a timeout error. */
  call(name: string, input: Uint8Array | string | undefined, hostContext: unknown): Promise<Uint8Array | null> | Uint8Array | null;
  functionExists(name: string): boolean;
  /** The CallContext host functions receive (for js-sdk parity: `reset` empties its heap). */
  readonly callContext: CallContext;
  /** Frees the kernel heap's blocks (vars are kept). */
  reset(): void;
  close(): Promise<void>;
}

/** The js-sdk message of a call stopped at `timeoutMs` (callers match on it). */
export const CALL_TIMEOUT_MESSAGE = 'EXTISM: call canceled due to timeout';
/** The js-sdk message of a start-up (`_initialize`, `_start`) stopped at `timeoutMs`. */
export const START_TIMEOUT_MESSAGE = 'EXTISM: timed out while waiting for plugin to instantiate';

const callTimeout = (): WasmletError => new WasmletError('WASMLET_ERR_TIMEOUT', CALL_TIMEOUT_MESSAGE, { blame: 'guest' });

function kernelMaxBytes(kernel: KernelOptions): number {
  // Room for the cap plus block headers; without a cap, a fixed reservation (virtual memory).
  return kernel.maxPages === undefined ? DEFAULT_KERNEL_MAX_BYTES : Math.min(DEFAULT_KERNEL_MAX_BYTES * 4, kernel.maxPages * 65536 * 2 + 65536);
}

/** The `http_*` functions some module of the plugin imports (each once). */
function importsHttp(modules: WebAssembly.Module[]): string[] {
  const names = modules.flatMap((m) => WebAssembly.Module.imports(m))
    .filter((i) => i.module === EXTISM_ENV && (i.name === 'http_request' || i.name === 'http_status_code' || i.name === 'http_headers'))
    .map((i) => i.name);
  return [...new Set(names)];
}

/** The host side of `http_request` & co. over `ctx`, or {} when no module imports them. */
function httpFunctions(spec: PluginBackendSpec, ctx: CallContext, kernel: ExtismKernel): Record<string, BoundHostFunction> {
  const names = importsHttp(spec.modules.modules);
  if (names.length === 0) return {};
  const http = new ExtismHttp(spec.http);
  const all: Record<string, BoundHostFunction> = {
    http_request: (req: bigint, body: bigint) => http.request(ctx, req, body, (m) => kernel.logger.error(m)),
    http_status_code: () => http.statusCode(),
    http_headers: () => http.headers(ctx),
  };
  return Object.fromEntries(names.map((n) => [n, all[n]!]));
}

/**
 * Starts a plugin: on a worker when `spec.worker`, or when a timeout is set and the module is
 * not `spec.preempted`; else in-process.
 * @throws Error (js-sdk texts) when the module cannot be linked or its start-up fails;
 *   WasmletError `WASMLET_ERR_TIMEOUT` ({@link START_TIMEOUT_MESSAGE}) when start-up passes `timeoutMs`.
 */
export async function startPlugin(spec: PluginBackendSpec): Promise<PluginBackend> {
  const worker = spec.worker || (spec.timeoutMs !== null && !spec.preempted);
  return worker ? WorkerPlugin.start(spec) : new InProcessPlugin(spec);
}

/**
 * The in-process mode: host functions are called directly; async ones and HTTP go through JSPI.
 * With `timeoutMs`, each call (and start-up) runs against a {@link PreemptionClock}: the guest's
 * checks throw past the deadline, and a timer covers the time the guest is suspended on an async
 * host function. A call stopped so leaves its instance in an unknown state, so the next call gets
 * a fresh instance, kernel and clock (its vars are gone), as the worker mode's fresh worker does;
 * the stopped instance's host functions throw the timeout should it resume.
 */
/** One start of an in-process plugin: its kernel, call context, instance and clock. */
interface Generation {
  kernel: ExtismKernel;
  ctx: CallContext;
  instance: PluginInstance;
  clock: PreemptionClock | null;
  /** Set once a call on it was stopped at its deadline: its host functions throw from then on. */
  retired: boolean;
}

class InProcessPlugin implements PluginBackend {
  readonly #spec: PluginBackendSpec;
  /** Replaced only by a start that succeeded: never a mix of a new kernel and an old instance. */
  #live: Generation;

  constructor(spec: PluginBackendSpec) {
    this.#spec = spec;
    this.#live = this.#start();
  }

  get callContext(): CallContext { return this.#live.ctx; }

  /**
   * Builds a fresh kernel, context, clock and instance (start-up runs now, bounded by `timeoutMs`).
   * @throws as {@link startPlugin}; nothing of `this` is changed then.
   */
  #start(): Generation {
    const spec = this.#spec;
    const max = kernelMaxBytes(spec.kernel);
    const kernel = new ExtismKernel(createKernelBuffer(max, false), spec.kernel, spec.logger, max);
    const ctx = new CallContext(kernel);
    const gen: Generation = { kernel, ctx, instance: null!, clock: null, retired: false };
    // A retired instance may still resume (its async host function settled after the deadline)
    // and run until its next check: its host functions refuse to act for it meanwhile. Without a
    // timeout nothing is ever retired, so host calls go straight through.
    const guard = spec.timeoutMs === null ? <F>(fn: F): F => fn : <F extends (...args: any[]) => unknown>(fn: F): F => ((...args: unknown[]) => {
      if (gen.retired) throw callTimeout();
      return fn(...args);
    }) as F;
    const functions: HostImports = {};
    const suspending = new Set<BoundHostFunction>();
    for (const [ns, fns] of Object.entries(spec.functions)) {
      functions[ns] = {};
      for (const [name, fn] of Object.entries(fns)) {
        const bound = guard(fn.bind(null, ctx));
        if (isAsyncFunction(fn)) suspending.add(bound);
        functions[ns][name] = bound;
      }
    }
    const http = Object.fromEntries(Object.entries(httpFunctions(spec, ctx, kernel)).map(([n, fn]) => [n, guard(fn)]));
    if (http['http_request'] !== undefined) suspending.add(http['http_request']);
    functions[EXTISM_ENV] = { ...http, ...functions[EXTISM_ENV] };
    const ms = spec.timeoutMs;
    if (ms === null) {
      gen.instance = instantiatePlugin({ modules: spec.modules, kernel, functions, suspending, wasi: spec.wasi });
      return gen;
    }
    // One clock per instance: an instance abandoned at its deadline keeps its expired clock.
    const clock = gen.clock = new PreemptionClock({ timeoutError: callTimeout });
    Object.assign(functions, clock.imports);
    clock.arm(ms);
    try {
      gen.instance = instantiatePlugin({ modules: spec.modules, kernel, functions, suspending, wasi: spec.wasi, beforeInstance: () => clock.check() });
    } catch (err) {
      if (clock.expired) throw new WasmletError('WASMLET_ERR_TIMEOUT', START_TIMEOUT_MESSAGE, { blame: 'guest', cause: err });
      throw err;
    } finally {
      clock.disarm();
    }
    return gen;
  }

  /** Marks the live instance stopped at its deadline: its clock stays expired, its host functions throw. */
  #retire(gen: Generation): void {
    gen.retired = true;
    gen.clock!.expire();
  }

  call(name: string, input: Uint8Array | string | undefined, hostContext: unknown): Promise<Uint8Array | null> | Uint8Array | null {
    const ms = this.#spec.timeoutMs;
    if (ms === null) return this.#live.instance.call(name, input, hostContext);
    if (this.#live.retired) {
      const fresh = this.#start(); // throws: the live one stays retired, the next call tries again
      this.#live.instance.close();
      this.#live = fresh;
    }
    const gen = this.#live;
    const clock = gen.clock!;
    const deadline = clock.arm(ms);
    let result: ReturnType<PluginInstance['call']>;
    try {
      result = gen.instance.call(name, input, hostContext);
    } catch (err) {
      clock.disarm();
      throw this.#settle(gen, err);
    }
    if (!(result instanceof Promise)) {
      clock.disarm();
      return this.#returned(gen, result);
    }
    // Suspended on an async host function: no check runs until it settles, so a timer ends the
    // call at the deadline and makes the guest's next check throw if it ever resumes.
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        this.#retire(gen);
        reject(callTimeout());
      }, Math.max(0, deadline - performance.now()));
      result.then((value) => {
        if (done) return;
        clearTimeout(timer);
        clock.disarm();
        try { resolve(this.#returned(gen, value)); } catch (err) { reject(err); }
      }, (err: unknown) => {
        if (done) return;
        clearTimeout(timer);
        clock.disarm();
        reject(this.#settle(gen, err));
      });
    });
  }

  /**
   * A call that returned after its deadline (the guest caught the preemption and returned) is
   * still a timeout, as the worker mode, which terminates at the deadline, would report it.
   * @throws WasmletError `WASMLET_ERR_TIMEOUT` in that case.
   */
  #returned<T>(gen: Generation, value: T): T {
    if (!gen.clock!.expired) return value;
    this.#retire(gen);
    throw callTimeout();
  }

  /** The error a failed call ends with; a preempted call retires its instance. */
  #settle(gen: Generation, err: unknown): unknown {
    const clock = gen.clock!;
    if (clock.expired) this.#retire(gen);
    return clock.settle(err);
  }

  functionExists(name: string): boolean { return this.#live.instance.functionExists(name); }

  reset(): void { this.#live.kernel.memory.reset(); }

  async close(): Promise<void> { this.#live.instance.close(); }
}

interface Pending { resolve(v: Uint8Array | null): void; reject(e: Error): void; timer: NodeJS.Timeout | undefined }

/**
 * The worker mode: the instance lives on a worker of its own; host functions run here, called
 * synchronously from the guest's point of view (see plugin-worker.ts). A call past `timeoutMs`
 * terminates the worker (V8 stops the running Wasm) and rejects with {@link CALL_TIMEOUT_MESSAGE};
 * the next call starts a fresh instance (its vars are gone, as a new Extism plugin's would be).
 */
class WorkerPlugin implements PluginBackend {
  readonly #spec: PluginBackendSpec;
  readonly #exports: Set<string>;
  #worker: Worker | null = null;
  #kernel!: ExtismKernel;
  #ctx!: CallContext;
  #replies!: MessagePort;
  #flag!: Int32Array;
  #table: Record<string, Record<string, BoundHostFunction>> = {};
  #pending: Pending | null = null;
  #hostContext: unknown = undefined;

  private constructor(spec: PluginBackendSpec) {
    this.#spec = spec;
    this.#exports = new Set(WebAssembly.Module.exports(mainModule(spec.modules)).filter((e) => e.kind === 'function').map((e) => e.name));
  }

  static async start(spec: PluginBackendSpec): Promise<WorkerPlugin> {
    const plugin = new WorkerPlugin(spec);
    await plugin.#spawn();
    return plugin;
  }

  get callContext(): CallContext { return this.#ctx; }

  functionExists(name: string): boolean { return this.#exports.has(name); }

  reset(): void { this.#kernel.memory.reset(); }

  async call(name: string, input: Uint8Array | string | undefined, hostContext: unknown): Promise<Uint8Array | null> {
    if (!this.#exports.has(name)) throw new Error(`Plugin error: function "${name}" does not exist`);
    if (this.#worker === null) await this.#spawn();
    this.#hostContext = hostContext;
    return new Promise<Uint8Array | null>((resolve, reject) => {
      const ms = this.#spec.timeoutMs;
      const timer = ms === null ? undefined : setTimeout(() => this.#timedOut(), ms);
      this.#pending = { resolve, reject, timer };
      this.#worker!.ref();
      this.#worker!.postMessage({ type: 'call', name, input } satisfies PluginCallMessage);
    });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    this.#settle()?.reject(new Error('the plugin was closed during the call'));
    this.#replies?.close();
    if (w !== null) await w.terminate();
  }

  #settle(): Pending | null {
    const p = this.#pending;
    this.#pending = null;
    this.#hostContext = undefined;
    if (p !== null) clearTimeout(p.timer);
    this.#worker?.unref();
    return p;
  }

  #timedOut(): void {
    const p = this.#settle();
    void this.close();
    p?.reject(new WasmletError('WASMLET_ERR_TIMEOUT', CALL_TIMEOUT_MESSAGE, { blame: 'guest' }));
  }

  async #spawn(): Promise<void> {
    const spec = this.#spec;
    const buffer = createKernelBuffer(kernelMaxBytes(spec.kernel), true) as SharedArrayBuffer;
    this.#kernel = new ExtismKernel(buffer, spec.kernel, spec.logger);
    const ctx = this.#ctx = new CallContext(this.#kernel);
    const table: Record<string, Record<string, BoundHostFunction>> = {};
    for (const [ns, fns] of Object.entries(spec.functions)) {
      table[ns] = Object.fromEntries(Object.entries(fns).map(([n, fn]) => [n, fn.bind(null, ctx)]));
    }
    const http = httpFunctions(spec, ctx, this.#kernel);
    table[EXTISM_ENV] = { ...http, ...table[EXTISM_ENV] };
    this.#table = table;
    const flag = new SharedArrayBuffer(4);
    this.#flag = new Int32Array(flag);
    const { port1, port2 } = new MessageChannel();
    this.#replies = port1;
    const data: PluginWorkerData = {
      modules: spec.modules, kernelOptions: spec.kernel, buffer, flag, replies: port2, wasi: spec.wasi,
      functions: Object.fromEntries(Object.entries(table).map(([ns, fns]) => [ns, Object.keys(fns)])),
    };
    const worker = new Worker(workerEntry(import.meta.url, './plugin-worker'), {
      workerData: data, transferList: [port2 as never], name: 'wasmlet extism plugin',
    });
    this.#worker = worker;
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onMessage = (m: PluginWorkerMessage): void => {
        if (m.type === 'loaded' && spec.timeoutMs !== null) {
          timer = setTimeout(() => {
            void worker.terminate();
            reject(new WasmletError('WASMLET_ERR_TIMEOUT', 'EXTISM: timed out while waiting for plugin to instantiate', { blame: 'guest' }));
          }, spec.timeoutMs);
        }
        if (m.type !== 'ready' && m.type !== 'failed') return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        if (m.type === 'failed') {
          void worker.terminate();
          reject(deserializeError(m.error));
        } else resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
    worker.on('message', (m: PluginWorkerMessage) => this.#onMessage(worker, m));
    worker.on('error', (err) => { if (this.#worker === worker) { this.#worker = null; this.#settle()?.reject(err); } });
    // Idle, the worker keeps no process alive (an unclosed plugin lets it exit); a call refs it
    // until settled. After the listeners: Node refs a worker's port again when one is added.
    worker.unref();
  }

  #onMessage(worker: Worker, m: PluginWorkerMessage): void {
    if (worker !== this.#worker) return;
    switch (m.type) {
      case 'log': this.#spec.logger[m.level](m.text); return;
      case 'result': this.#settle()?.resolve(m.output); return;
      case 'error': this.#settle()?.reject(deserializeError(m.error)); return;
      case 'host': void this.#host(m); return;
      default: return;
    }
  }

  async #host(m: Extract<PluginWorkerMessage, { type: 'host' }>): Promise<void> {
    const kernel = this.#kernel;
    kernel.replaceVars(m.vars);
    kernel.errorOffset = m.errorOffset;
    kernel.hostContext = this.#hostContext;
    const reply: HostReply = { vars: kernel.vars, errorOffset: 0 };
    try {
      const fn = this.#table[m.ns]?.[m.name];
      if (fn === undefined) throw new Error(`Plugin error: host function "${m.ns}" "${m.name}" does not exist`);
      reply.value = await fn(...m.args);
    } catch (err) {
      reply.error = serializeError(err);
    }
    reply.vars = kernel.vars;
    reply.errorOffset = kernel.errorOffset;
    this.#replies.postMessage(reply);
    Atomics.store(this.#flag, 0, 1);
    Atomics.notify(this.#flag, 0);
  }
}
