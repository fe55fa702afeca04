// Links and instantiates one Extism plugin on this thread (the main thread in-process, or the
// plugin's worker): its `main` module and the manifest's other modules it imports from by name,
// `extism:host/env` from wasmlet's kernel, `wasi_snapshot_preview1` from wasmlet's own p1 host
// (when WASI is enabled), every other namespace from the host functions. Linking and start-up
// follow js-sdk's foreground plugin (extism/js-sdk src/foreground-plugin.ts at v2.0.0-rc13,
// `createForegroundPlugin` and `instantiateModule`), including its error texts.
import { WasiP1, type WasiP1Options } from '../../host/wasi/p1/wasi-p1.ts';
import { EXTISM_ENV, type ExtismKernel } from '../../host/extism/kernel.ts';
import { fdOutput } from '../../sandbox/stdio.ts';
import { PREEMPT_IMPORT_MODULE } from '../preempt/rewrite-module.ts';
import type { PreopenSpec } from '../../sandbox/preopen.ts';
import { WasmletError } from '../../util/errors.ts';

/** A host import, already bound to the plugin's CallContext. */
export type BoundHostFunction = (...args: any[]) => any;

/** Host imports by namespace, then name. */
export type HostImports = Record<string, Record<string, BoundHostFunction>>;

/** WASI p1 grants of a plugin (plain data: it crosses to a worker). */
export interface ExtismWasiGrants {
  /** Extism `allowedPaths`: guest path -> host dir; a `ro:` prefix on the host dir makes it read-only. */
  allowedPaths: Record<string, string>;
  /** Write the guest's stdout/stderr to the host's (js-sdk `enableWasiOutput`); default discarded. */
  enableWasiOutput: boolean;
}

interface Jspi {
  Suspending: new (fn: BoundHostFunction) => unknown;
  promising: (fn: unknown) => (...args: unknown[]) => Promise<unknown>;
}

const jspi = WebAssembly as unknown as Jspi;
const AsyncFunction = (async () => {}).constructor;

/** Whether `fn` is an `async function` (js-sdk runs those through JSPI). */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor === AsyncFunction;
}

/** The p1 options for `grants`: `allowedPaths` as preopens (in order), stdio discarded unless enabled. */
export function wasiOptionsOf(grants: ExtismWasiGrants): WasiP1Options {
  const preopens: PreopenSpec[] = Object.entries(grants.allowedPaths).map(([guestPath, host]) => {
    const readOnly = host.startsWith('ro:');
    return { guestPath, hostPath: readOnly ? host.slice(3) : host, readOnly };
  });
  return grants.enableWasiOutput ? { preopens, stdout: fdOutput(1), stderr: fdOutput(2) } : { preopens };
}

/**
 * The modules of one plugin in manifest order, each with its Extism name (plugin/extism/manifest.ts
 * `resolveManifest`): the one named `main` is the plugin, the others are linked into it by name.
 * Plain data: it crosses to a worker.
 */
export interface PluginModules {
  names: string[];
  modules: WebAssembly.Module[];
}

/** The module named `main` of `m`. @throws Error when none is (resolveManifest refuses that manifest). */
export function mainModule(m: PluginModules): WebAssembly.Module {
  const module = m.modules[m.names.indexOf('main')];
  if (module === undefined) throw new Error('manifest with multiple modules must designate one "main" module');
  return module;
}

/** What {@link instantiatePlugin} needs. */
export interface PluginInstanceSpec {
  modules: PluginModules;
  /** The one kernel all modules of the plugin import `extism:host/env` from. */
  kernel: ExtismKernel;
  /** Host functions by namespace; may override `extism:host/env` entries (e.g. `http_request`). */
  functions: HostImports;
  /** Functions of `functions` that return a promise: they suspend the guest through JSPI. */
  suspending: ReadonlySet<BoundHostFunction>;
  /** Null: WASI disabled (a module importing it fails to load, as in js-sdk). */
  wasi: ExtismWasiGrants | null;
  /**
   * Called before each core instance is made: throws to stop linking (the in-process mode's
   * start-up deadline: a trivial start-up never reaches a preemption check).
   */
  beforeInstance?: () => void;
}

/**
 * Most core instances one plugin start may make. A module exporting `_start` is instantiated once
 * per import from it, with its own providers, so a chain of such modules multiplies: without a
 * bound a small manifest could exhaust the process's Wasm memory reservation for every tenant.
 */
export const MAX_LINKED_INSTANCES = 256;

/** A live plugin instance: `main`'s exports, and the WASI context (all its modules') to close. */
export class PluginInstance {
  readonly instance: WebAssembly.Instance;
  readonly #kernel: ExtismKernel;
  readonly #wasi: WasiP1 | null;
  readonly #suspends: boolean;
  readonly #promised = new Map<string, (...args: unknown[]) => Promise<unknown>>();

  constructor(instance: WebAssembly.Instance, kernel: ExtismKernel, wasi: WasiP1 | null, suspends: boolean) {
    this.instance = instance;
    this.#kernel = kernel;
    this.#wasi = wasi;
    this.#suspends = suspends;
  }

  functionExists(name: string): boolean {
    return typeof this.instance.exports[name] === 'function';
  }

  /**
   * Calls export `name` with `input`.
   * @returns the output bytes, null when the plugin set none; a promise when the plugin uses JSPI.
   * @throws Error `Plugin error: function "NAME" does not exist`; `Plugin-originated error: TEXT`
   *   when the plugin called `error_set`; a trap as `WebAssembly.RuntimeError`; what a host
   *   function threw.
   */
  call(name: string, input: Uint8Array | string | undefined, hostContext: unknown): Uint8Array | null | Promise<Uint8Array | null> {
    const fn = this.instance.exports[name];
    if (fn === undefined) throw new Error(`Plugin error: function "${name}" does not exist`);
    if (typeof fn !== 'function') throw new Error(`Plugin error: export "${name}" is not a function`);
    const kernel = this.#kernel;
    kernel.begin(input, hostContext);
    if (!this.#suspends) {
      try { (fn as () => unknown)(); } catch (err) { kernel.end(); throw err; } finally { this.#wasi?.flush(); }
      return this.#finish();
    }
    let promised = this.#promised.get(name);
    if (promised === undefined) this.#promised.set(name, promised = jspi.promising(fn));
    return promised().then(() => this.#finish(), (err: unknown) => { kernel.end(); throw err; });
  }

  /** Closes the WASI host's descriptors. */
  close(): void {
    this.#wasi?.dispose();
  }

  #finish(): Uint8Array | null {
    const { output, error } = this.#kernel.end();
    if (error !== null) throw new Error(`Plugin-originated error: ${error}`);
    return output;
  }
}

/**
 * The start-up js-sdk gives a module (`instantiateModule`'s guest types, first match wins:
 * `hs_init` exported is Haskell, else `_initialize` a reactor, else `_start` a command). With
 * WASI: the WASI host's `_initialize` (a command's `_start` is not run), then `hs_init` if
 * exported. Without: `hs_init`, else `_initialize`, else `_start`, only the one.
 */
function startUp(instance: WebAssembly.Instance, wasi: WasiP1 | null): void {
  const exports = instance.exports;
  const run = (name: string): boolean => {
    if (typeof exports[name] !== 'function') return false;
    (exports[name] as () => void)();
    return true;
  };
  if (wasi !== null) {
    wasi.initialize(instance); // `_initialize` if exported; a command's `_start` is not run
    run('hs_init');
    return;
  }
  if (!run('hs_init') && !run('_initialize')) run('_start');
}

/** Instances by module index while linking: null while a module is being instantiated (a cycle). */
type Linked = Map<number, WebAssembly.Instance | null>;

/**
 * One instantiation of a plugin: walks `main`'s imports depth first, instantiating providers on
 * demand, as js-sdk's `instantiateModule`. Every module gets the same kernel, host functions and
 * WASI context (each module's WASI calls read its own memory, as Wasmtime's linker gives every
 * module of an Extism plugin's store its one `WasiCtx`: extism/extism runtime/src/plugin.rs).
 */
class PluginLinker {
  readonly #spec: PluginInstanceSpec;
  /** The first WASI host made: its context is the plugin's, the others share it. */
  wasi: WasiP1 | null = null;
  /** Whether some module imports a suspending host function (calls then go through JSPI). */
  suspends = false;
  /** Core instances made so far (see {@link MAX_LINKED_INSTANCES}). */
  #made = 0;

  constructor(spec: PluginInstanceSpec) {
    this.#spec = spec;
  }

  /**
   * Instantiates module `idx` (reached through `path`, names from `main`) and runs its start-up.
   * @throws Error with js-sdk's texts for an import nothing provides; what a start-up threw.
   */
  instantiate(path: string[], idx: number, linked: Linked): WebAssembly.Instance {
    const { names, modules } = this.#spec.modules;
    const module = modules[idx]!;
    linked.set(idx, null);
    const imports: Record<string, Record<string, unknown>> = {};
    let wasi: WasiP1 | null = null;
    const from = `from module "${path.join('"/"')}"`;
    for (const { module: ns, name, kind } of WebAssembly.Module.imports(module)) {
      // wasmlet's preemption import is never a manifest item's: the clock must stay in charge.
      const provider = ns === PREEMPT_IMPORT_MODULE && this.#spec.functions[ns] !== undefined ? -1 : names.indexOf(ns);
      let value: unknown;
      if (provider !== -1) {
        value = this.#provided(path, provider, ns, name, kind, linked);
      } else if (ns === 'wasi_snapshot_preview1') {
        if (this.#spec.wasi === null) throw new Error('WASI is not enabled; see the "useWasi" plugin option');
        wasi ??= this.wasi === null ? (this.wasi = new WasiP1(wasiOptionsOf(this.#spec.wasi))) : new WasiP1({}, this.wasi);
        value = wasi.imports['wasi_snapshot_preview1']![name];
        if (value === undefined) throw new Error(`${from}: cannot resolve import "${ns}" "${name}" ("${ns}" is a host module, but does not contain "${name}")`);
      } else {
        value = this.#host(from, ns, name, kind);
      }
      (imports[ns] ??= {})[name] = value;
    }
    if (++this.#made > MAX_LINKED_INSTANCES) {
      throw new WasmletError('WASMLET_ERR_EXTISM_MANIFEST',
        `${from}: linking the manifest's modules needs more than ${MAX_LINKED_INSTANCES} instances (a module exporting _start is instantiated once per import from it, with its own providers); link such modules fewer times or drop their _start`,
        { blame: 'user' });
    }
    this.#spec.beforeInstance?.();
    const instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
    startUp(instance, wasi);
    linked.set(idx, instance);
    return instance;
  }

  /** A host function for `ns` `name`, JSPI-wrapped when it suspends. */
  #host(from: string, ns: string, name: string, kind: string): unknown {
    const { functions, kernel, suspending } = this.#spec;
    const own = functions[ns]?.[name];
    const fn = own ?? (ns === EXTISM_ENV ? kernel.env[name] : undefined);
    if (fn === undefined) {
      if (ns !== EXTISM_ENV && functions[ns] === undefined) {
        throw new Error(`${from}: cannot resolve import "${ns}" "${name}": not provided by host imports nor linked manifest items`);
      }
      throw new Error(`${from}: cannot resolve import "${ns}" "${name}" ("${ns}" is a host module, but does not contain "${name}")`);
    }
    if (kind !== 'function') {
      throw new Error(`${from}: in import "${ns}" "${name}", "${kind}"-typed host imports are not supported yet`);
    }
    const isSuspending = own !== undefined && suspending.has(own);
    this.suspends ||= isSuspending;
    return isSuspending ? new jspi.Suspending(fn) : fn;
  }

  /**
   * Export `name` of module `idx` (named `ns`) for its importer at `path`: a provider that
   * exports `_start` (a command) is instantiated afresh for each import from it (js-sdk's rule:
   * two functions main imports from one command live in separate instances), any other once per
   * plugin; a function imported around a cycle goes through a trampoline that finds the export
   * once the provider is instantiated.
   * @throws Error (js-sdk texts) when the provider has no such export, or a non-function import
   *   closes a cycle; a cycle through a command, which js-sdk would follow until the stack overflows.
   */
  #provided(path: string[], idx: number, ns: string, name: string, kind: string, linked: Linked): unknown {
    const provider = this.#spec.modules.modules[idx]!;
    const exported = WebAssembly.Module.exports(provider);
    if (!exported.some((e) => e.name === name && e.kind === kind)) {
      throw new Error(`from module "${path.join('"/"')}": cannot import "${ns}" "${name}"; no export matched request`);
    }
    let instance: WebAssembly.Instance | null;
    if (exported.some((e) => e.name === '_start')) {
      if (path.includes(ns)) throw new Error(`from module "${path.join('"/"')}": cannot import "${ns}" "${name}"; circular imports through a module exporting _start are not supported`);
      instance = this.instantiate([...path, ns], idx, new Map());
    } else {
      instance = linked.has(idx) ? linked.get(idx) ?? null : this.instantiate([...path, ns], idx, linked);
    }
    if (instance !== null) return instance.exports[name];
    if (kind !== 'function') {
      throw new Error(`from module "${path.join('"/"')}": cannot import "${ns}" "${name}"; circular imports of type="${kind}" are not supported`);
    }
    let target: ((...args: unknown[]) => unknown) | null = null;
    return (...args: unknown[]): unknown => {
      if (target === null) {
        const done = linked.get(idx);
        if (!done) throw new Error(`from module instance "${path.join('"/"')}": target module "${ns}" was never instantiated`);
        target = done.exports[name] as (...args: unknown[]) => unknown;
      }
      return target(...args);
    };
  }
}

/**
 * Links the plugin's `main` module, instantiating the modules it imports from by name (their own
 * imports first, depth first), and runs each module's start-up the way js-sdk does (see
 * `startUp`: `hs_init`, else `_initialize`, else `_start`; with WASI, `_initialize` then `hs_init`).
 * @throws Error with js-sdk's texts for an unresolvable import or WASI not enabled; what a
 *   start-up threw.
 */
export function instantiatePlugin(spec: PluginInstanceSpec): PluginInstance {
  mainModule(spec.modules); // throws without one
  const linker = new PluginLinker(spec);
  try {
    const instance = linker.instantiate(['main'], spec.modules.names.indexOf('main'), new Map());
    return new PluginInstance(instance, spec.kernel, linker.wasi, linker.suspends);
  } catch (err) {
    linker.wasi?.dispose();
    throw err;
  }
}
