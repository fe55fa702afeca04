// Links and instantiates one Extism plugin module on this thread (the main thread in-process, or
// the plugin's worker): `extism:host/env` from wasmlet's kernel, `wasi_snapshot_preview1` from
// wasmlet's own p1 host (when WASI is enabled), every other namespace from the host functions.
// Linking and start-up follow js-sdk's foreground plugin (extism/js-sdk src/foreground-plugin.ts
// at v2.0.0-rc13, `instantiateModule`), including its error texts.
import { WasiP1, type WasiP1Options } from '../../host/wasi/p1/wasi-p1.ts';
import { EXTISM_ENV, type ExtismKernel } from '../../host/extism/kernel.ts';
import { fdOutput } from '../../sandbox/stdio.ts';
import type { PreopenSpec } from '../../sandbox/preopen.ts';

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

/** What {@link instantiatePlugin} needs. */
export interface PluginInstanceSpec {
  module: WebAssembly.Module;
  kernel: ExtismKernel;
  /** Host functions by namespace; may override `extism:host/env` entries (e.g. `http_request`). */
  functions: HostImports;
  /** Functions of `functions` that return a promise: they suspend the guest through JSPI. */
  suspending: ReadonlySet<BoundHostFunction>;
  /** Null: WASI disabled (a module importing it fails to load, as in js-sdk). */
  wasi: ExtismWasiGrants | null;
}

/** A live plugin instance: its exports, and the WASI host to close. */
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
 * Links `spec.module` and runs its start-up the way js-sdk does: with WASI, `_initialize` if
 * exported (a command's `_start` is not run); without, `_initialize` then `_start` when exported.
 * @throws Error with js-sdk's texts for an unresolvable import or WASI not enabled; what the
 *   start-up threw.
 */
export function instantiatePlugin(spec: PluginInstanceSpec): PluginInstance {
  const { module, kernel, functions, suspending } = spec;
  const imports: Record<string, Record<string, unknown>> = {};
  let wasi: WasiP1 | null = null;
  let suspends = false;
  for (const { module: ns, name, kind } of WebAssembly.Module.imports(module)) {
    if (ns === 'wasi_snapshot_preview1') {
      if (spec.wasi === null) throw new Error('WASI is not enabled; see the "useWasi" plugin option');
      wasi ??= new WasiP1(wasiOptionsOf(spec.wasi));
      const fn = wasi.imports['wasi_snapshot_preview1']![name];
      if (fn === undefined) throw new Error(`from module "main": cannot resolve import "${ns}" "${name}" ("${ns}" is a host module, but does not contain "${name}")`);
      (imports[ns] ??= {})[name] = fn;
      continue;
    }
    const own = functions[ns]?.[name];
    const fn = own ?? (ns === EXTISM_ENV ? kernel.env[name] : undefined);
    if (fn === undefined) {
      if (ns !== EXTISM_ENV && functions[ns] === undefined) {
        throw new Error(`from module "main": cannot resolve import "${ns}" "${name}": not provided by host imports nor linked manifest items`);
      }
      throw new Error(`from module "main": cannot resolve import "${ns}" "${name}" ("${ns}" is a host module, but does not contain "${name}")`);
    }
    if (kind !== 'function') {
      throw new Error(`from module "main": in import "${ns}" "${name}", "${kind}"-typed host imports are not supported yet`);
    }
    const isSuspending = own !== undefined && suspending.has(own);
    suspends ||= isSuspending;
    (imports[ns] ??= {})[name] = isSuspending ? new jspi.Suspending(fn) : fn;
  }
  const instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  const exports = instance.exports;
  if (wasi !== null) {
    wasi.initialize(instance);
  } else {
    if (typeof exports['_initialize'] === 'function') (exports['_initialize'] as () => void)();
    if (typeof exports['_start'] === 'function') (exports['_start'] as () => void)();
  }
  return new PluginInstance(instance, kernel, wasi, suspends);
}
