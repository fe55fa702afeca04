// Component plugins: a host application loads a WASI 0.2 component and calls its exported
// functions with JS values, lifted and lowered as jco does (its instantiation mode: strings,
// records as objects, lists as arrays or typed arrays, variants as `{ tag, val }`, options as the
// value or `undefined`, results as the `ok` value or a thrown ComponentError with the `err`
// value). The host side of the plugin's own WIT imports is plain JS objects keyed by interface.
// Every call gets a fresh instance (kept ready ahead of time), so no state leaks between calls,
// unless the embedder asks for one long-lived instance (`instance: 'long-lived'`).
//
// Two modes, chosen by `limits.timeoutMs`:
// - in-process (no timeout): calls run on the caller's thread, synchronously inside the returned
//   Promise; the host functions are called directly (with the values jco lifted) and must be
//   synchronous. Fastest; nothing can stop a looping guest.
// - worker (a timeout): calls run on a worker thread (a one-worker engine pool, as `wasmlet serve`
//   runs guests); a call past its deadline rejects with `WASMLET_ERR_TIMEOUT` and the worker is
//   replaced. Host functions still run on the caller's thread: the guest blocks while one runs
//   (component-plugin-worker.ts), so they may be async; their arguments and results are
//   structured clones.
import { MessageChannel } from 'node:worker_threads';
import { prepareComponentForRun, componentFailure } from '../engine/run-component.ts';
import { componentToWire } from '../engine/component-wire.ts';
import { WorkerPool } from '../engine/pool.ts';
import { parseAllowedHosts, type PreopenSpec } from '../engine/grants.ts';
import { isWasmletError, WasmletError } from '../util/errors.ts';
import { workerEntry } from '../util/worker-entry.ts';
import { ComponentError, isJcoComponentError } from './component-error.ts';
import { describeExports, exportedFunction, type ExportShape } from './component-exports.ts';
import type { ImportAnswer, ImportEvent, PluginInput, PluginResult, PluginUnitConfig } from './component-plugin-worker.ts';
import { PluginInstances, type InstanceMode } from './plugin-instances.ts';

export type { InstanceMode } from './plugin-instances.ts';

/** A host function a plugin imports: called with the lifted arguments, returns the value to lower. */
export type HostFunction = (...args: any[]) => unknown;

/** One imported interface: its functions by camelCase name (`get-setting` -> `getSetting`). */
export type HostInterface = Readonly<Record<string, HostFunction>>;

/** An exported function of a plugin: the lifted arguments in, a Promise of the lifted result out. */
export type PluginFunction = (...args: any[]) => Promise<any>;

/**
 * What the plugin may reach through WASI. Deny by default: omitted means none (no env, no args,
 * no directories, no outbound HTTP); stdout and stderr are discarded.
 */
export interface ComponentPluginGrants {
  /** `wasi:cli/environment` variables. Default: none. */
  env?: Readonly<Record<string, string>>;
  /** `wasi:cli/environment` arguments. Default: none. */
  args?: readonly string[];
  /** Directories the plugin may open (`wasi:filesystem/preopens`), each read-only or read-write. */
  preopens?: readonly PreopenSpec[];
  /**
   * Outbound `wasi:http` destinations, in Spin's `allowed_outbound_hosts` grammar
   * (`https://api.example.com`, `http://127.0.0.1:*`). Default: none.
   */
  allowedOutboundHosts?: readonly string[];
}

/** Limits of a plugin. */
export interface ComponentPluginLimits {
  /**
   * Cap on each core module's linear memory, in bytes (rounded down to 64 KiB pages): a grow past
   * it fails in the guest. Default: none (the module's own maximum).
   */
  memoryBytes?: number;
  /**
   * Wall-clock deadline of one call, in ms, counted from the call (waiting for an earlier call
   * counts; reloading the component in a new worker after a timeout does not): past it the call
   * rejects with `WASMLET_ERR_TIMEOUT`, even in an infinite loop.
   * Setting it selects the worker mode (see the module header). Default: none (in-process).
   */
  timeoutMs?: number;
}

/** Options of {@link createComponentPlugin}. */
export interface ComponentPluginOptions {
  /**
   * The host side of the plugin's non-WASI imports, by interface name as the WIT names it
   * (`'example:plugin/host'`; with or without `@version`). Every such import must be given;
   * a key the component does not import is an error.
   */
  imports?: Readonly<Record<string, HostInterface>>;
  grants?: ComponentPluginGrants;
  limits?: ComponentPluginLimits;
  /**
   * `per-call` (default): every call runs on a fresh instance, so nothing a call does survives
   * it. `long-lived`: one instance serves the calls, its state kept between them (as an Extism
   * plugin's), replaced by a fresh one after a call that trapped, timed out, or whose host
   * function threw.
   */
  instance?: InstanceMode;
  /** Root of the transpile cache (default: `$WASMLET_CACHE_DIR`, else `.wasmlet/cache`). */
  cacheDir?: string;
}

/** A loaded plugin. */
export interface ComponentPlugin {
  /**
   * The exported functions, laid out as jco's instantiation mode lays them out: an exported
   * interface under its short and full names (`exports.greeter.greet`,
   * `exports['example:plugin/greeter'].greet`), a world-level function directly (`exports.add`).
   * Each returns a Promise. It rejects with {@link ComponentError} (the `err` of a `result`),
   * whatever a host function threw, `WasmletError` `WASMLET_ERR_TRAP` (blame guest),
   * `WASMLET_ERR_TIMEOUT` (worker mode), or `WASMLET_ERR_POOL_CLOSED` after {@link close}.
   */
  readonly exports: Readonly<Record<string, PluginFunction | Readonly<Record<string, PluginFunction>>>>;
  /** `in-process` without `limits.timeoutMs`, else `worker`. */
  readonly mode: 'in-process' | 'worker';
  /**
   * Ends the plugin: the ready instances are dropped and the worker (if any) stops; a worker-mode
   * plugin keeps the process alive until then. Idempotent.
   */
  close(): Promise<void>;
}

/** The pool wants a module per unit; the worker loads the component from its unit config. */
const PLACEHOLDER_MODULE = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

/** Runs one call: export `name` (function `fn` of it, or `name` itself when `fn` is undefined). */
type Invoke = (name: string, fn: string | undefined, args: unknown[]) => Promise<unknown>;

/**
 * Loads a WASI 0.2 component as a plugin: transpiles it once (jco, disk cache), links the
 * embedder's imports and WASI with `grants`, and instantiates it once to learn its exports.
 * @param bytes the component binary.
 * @throws WasmletError `WASMLET_ERR_COMPONENT_INVALID` (not a component),
 *   `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED` (blame user: an import that is neither WASI 0.2
 *   nor given in `imports`, or an interface wasmlet lacks), `WASMLET_ERR_INVALID_OPTIONS` (an
 *   `imports` key the component does not import, a bad limit), `WASMLET_ERR_ALLOWED_HOST_INVALID`,
 *   `WASMLET_ERR_MEMORY_LIMIT` (initial memory over `limits.memoryBytes`),
 *   `WASMLET_ERR_WORKER_START` (worker mode), `WASMLET_ERR_TRAP` (its start trapped).
 */
export async function createComponentPlugin(bytes: Uint8Array, options: ComponentPluginOptions = {}): Promise<ComponentPlugin> {
  const { grants = {}, limits = {} } = options;
  const { timeoutMs, memoryBytes } = limits;
  if (timeoutMs !== undefined && !(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `limits.timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`, { blame: 'user' });
  }
  const prepared = await prepareComponentForRun(bytes, {
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(memoryBytes === undefined ? {} : { maxMemoryBytes: memoryBytes }),
    memoryLimitBy: { subject: 'the plugin', setting: 'limits.memoryBytes' },
  });
  const imports = linkEmbedderImports(prepared.imports, options.imports ?? {});
  const host: PluginUnitConfig['host'] = {
    env: { ...grants.env },
    args: [...(grants.args ?? [])],
    preopens: [...(grants.preopens ?? [])],
    allowedOutboundHosts: parseAllowedHosts(grants.allowedOutboundHosts ?? []),
  };
  const instance = options.instance ?? 'per-call';
  if (instance !== 'per-call' && instance !== 'long-lived') {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `instance must be 'per-call' or 'long-lived', got ${String(instance)}`, { blame: 'user' });
  }
  if (timeoutMs === undefined) return inProcessPlugin(new PluginInstances(prepared, { ...host, embedderImports: synchronous(imports) }, instance));
  const config: PluginUnitConfig = {
    component: componentToWire(bytes, prepared, memoryBytes),
    host, instance,
    importFunctions: Object.fromEntries(Object.entries(imports).map(([k, v]) => [k, Object.keys(v)])),
  };
  return workerPlugin(config, imports, timeoutMs);
}

/**
 * The embedder's interfaces keyed by the specifier the component imports them under.
 * @throws WasmletError `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED` for a non-WASI import not in
 *   `given`; `WASMLET_ERR_INVALID_OPTIONS` for a key of `given` the component does not import or
 *   a value that is not an object of functions.
 */
function linkEmbedderImports(imported: readonly string[], given: Readonly<Record<string, HostInterface>>): Record<string, HostInterface> {
  const unversioned = (spec: string) => spec.replace(/@.*$/, '');
  const out: Record<string, HostInterface> = {};
  const used = new Set<string>();
  for (const spec of imported) {
    const key = spec in given ? spec : Object.keys(given).find((k) => unversioned(k) === unversioned(spec));
    if (key === undefined) {
      if (/^(wasi|fermyon):/.test(spec)) continue; // wasmlet's host (linking names any it lacks)
      throw new WasmletError('WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED',
        `the plugin imports ${spec}; pass its functions as options.imports['${spec}'] = { ... }`, { blame: 'user' });
    }
    const iface = given[key];
    if (iface === null || typeof iface !== 'object' || Object.values(iface).some((f) => typeof f !== 'function')) {
      throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `options.imports['${key}'] must be an object of functions`, { blame: 'user' });
    }
    used.add(key);
    out[spec] = iface;
  }
  const unknown = Object.keys(given).filter((k) => !used.has(k));
  if (unknown.length > 0) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
      `options.imports names ${unknown.join(', ')}, which the plugin does not import (it imports ${imported.join(', ') || 'nothing'})`, { blame: 'user' });
  }
  return out;
}

/**
 * In-process host functions, checked to be synchronous: the guest cannot wait for a Promise on
 * the caller's thread (jco would try to lower the Promise object itself).
 */
function synchronous(imports: Record<string, HostInterface>): Record<string, HostInterface> {
  const out: Record<string, HostInterface> = {};
  for (const [iface, fns] of Object.entries(imports)) {
    out[iface] = Object.fromEntries(Object.entries(fns).map(([name, fn]) => [name, (...args: unknown[]) => {
      const value = fn(...args);
      if (value instanceof Promise) {
        value.catch(() => {});
        throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
          `host function ${iface}.${name} returned a Promise; in-process plugins call host functions synchronously: make it synchronous, or set limits.timeoutMs (worker mode) to use async host functions`,
          { blame: 'user' });
      }
      return value;
    }]));
  }
  return out;
}

/** `exports` built from a shape, each function calling `invoke`. */
function exportsFrom(shape: ExportShape, invoke: Invoke): ComponentPlugin['exports'] {
  const out: Record<string, PluginFunction | Record<string, PluginFunction>> = {};
  for (const [name, fns] of Object.entries(shape)) {
    if (fns === null) { out[name] = (...args: unknown[]) => invoke(name, undefined, args); continue; }
    out[name] = Object.freeze(Object.fromEntries(fns.map((fn) => [fn, (...args: unknown[]) => invoke(name, fn, args)])));
  }
  return Object.freeze(out);
}

/** The in-process mode: calls on this thread. */
async function inProcessPlugin(instances: PluginInstances): Promise<ComponentPlugin> {
  let closed = false;
  const invoke: Invoke = async (name, fn, args) => {
    if (closed) throw closedError();
    const ready = await instances.acquire();
    let healthy = false;
    try {
      const value = exportedFunction(ready.instance.exports, name, fn)(...args);
      healthy = true;
      return value;
    } catch (err) {
      if (isJcoComponentError(err)) {
        healthy = true;
        throw new ComponentError(err.payload, err.message);
      }
      if (err instanceof WebAssembly.RuntimeError || isWasmletError(err)) throw componentFailure(err);
      throw err; // a host function's own error, as it threw it
    } finally {
      instances.release(ready, healthy);
    }
  };
  const ready = await instances.acquire();
  let shape: ExportShape;
  try {
    shape = describeExports(ready.instance.exports);
  } finally {
    instances.release(ready, true);
  }
  return {
    exports: exportsFrom(shape, invoke),
    mode: 'in-process',
    async close() { closed = true; instances.close(); },
  };
}

/** The worker mode: a one-worker pool; host functions answered from this thread. */
async function workerPlugin(config: PluginUnitConfig, imports: Record<string, HostInterface>, timeoutMs: number): Promise<ComponentPlugin> {
  const pool = new WorkerPool({ handler: workerEntry(import.meta.url, './component-plugin-worker'), size: 1 });
  try {
    await pool.start();
    pool.register('plugin', PLACEHOLDER_MODULE, config);
    // No deadline here: loading (jco's module, compiling) is not the guest's time.
    const described = await pool.run({ unit: 'plugin', input: { kind: 'describe' } satisfies PluginInput }) as PluginResult;
    if (!('shape' in described)) throw new WasmletError('WASMLET_ERR_INTERNAL', 'the plugin worker did not describe the exports', { blame: 'host' });
    // A deadline terminates the worker; its replacement loads the component again (jco's module,
    // compiling) before the next call, outside that call's deadline.
    let reloading: Promise<unknown> | undefined;
    const invoke: Invoke = async (name, fn, args) => {
      if (reloading !== undefined) await reloading;
      const { port1, port2 } = new MessageChannel();
      const signal = new SharedArrayBuffer(4);
      const cell = new Int32Array(signal);
      const answer = (message: ImportAnswer) => {
        try {
          port1.postMessage(message);
        } catch (err) { // not structured-cloneable
          port1.postMessage({ thrown: err } satisfies ImportAnswer);
        }
        Atomics.store(cell, 0, 1);
        Atomics.notify(cell, 0);
      };
      const onEvent = (raw: unknown) => {
        const event = raw as ImportEvent;
        try {
          const value = (imports[event.iface]![event.fn]!)(...event.args);
          if (value instanceof Promise) value.then((v) => answer({ value: v }), (thrown) => answer({ thrown }));
          else answer({ value });
        } catch (thrown) {
          answer({ thrown });
        }
      };
      try {
        const result = await pool.run({
          unit: 'plugin', input: { kind: 'call', name, fn, args, port: port2, signal } satisfies PluginInput,
          transfer: [port2], timeoutMs, onEvent,
        }) as PluginResult;
        if ('value' in result) return result.value;
        if ('componentError' in result) throw new ComponentError(result.componentError.payload, result.componentError.message);
        if ('thrown' in result) throw result.thrown;
        throw new WasmletError('WASMLET_ERR_INTERNAL', 'the plugin worker answered a call with a description', { blame: 'host' });
      } catch (err) {
        if (isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT') {
          reloading ??= pool.run({ unit: 'plugin', input: { kind: 'describe' } satisfies PluginInput })
            .catch(() => {}).finally(() => { reloading = undefined; });
        }
        throw err;
      } finally {
        port1.close();
      }
    };
    return { exports: exportsFrom(described.shape, invoke), mode: 'worker', close: () => pool.close() };
  } catch (err) {
    await pool.close();
    throw err;
  }
}

function closedError(): WasmletError {
  return new WasmletError('WASMLET_ERR_POOL_CLOSED', 'the plugin is closed; create it again to call it', { blame: 'user' });
}
