// Creates one instance of a prepared component with a given host import object. Cheap: no
// transpile, no compile; only `new WebAssembly.Instance` of already-compiled core modules, with
// linear memories taken from the component's pools of zeroed memories (recycled-memory.ts).
import { WasmletError } from '../../util/errors.ts';
import { findRecycledMemoryImport, MemoryPool, RECYCLED_MEMORY_MODULE } from './recycled-memory.ts';
import type { PreparedComponent } from './transpile.ts';

/** `ns:pkg/iface[@version]` -> its parts. */
function parseSpecifier(spec: string): { base: string; ns: string; version: string | undefined } | undefined {
  const m = /^([a-z][a-z0-9-]*):([a-z][a-z0-9-]*)\/([a-z][a-z0-9-]*)(?:@(.+))?$/.exec(spec);
  if (!m) return undefined;
  return { base: `${m[1]}:${m[2]}/${m[3]}`, ns: m[1]!, version: m[4] };
}

/**
 * Builds the import object jco's `instantiate` expects from the component's import list: every
 * `wasi:*` import of version 0.2.x (or unversioned, as jco keys them) is served by the host's 0.2
 * implementation of that interface; a `fermyon:spin/*` import (unversioned, or 2.0.x) by the
 * host's `fermyon:spin@2.0.0` one; any import whose exact specifier is a key of `host` by that
 * entry (an embedder's own interface).
 * @throws WasmletError `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED` (blame `guest`) naming the first
 *   import the host does not provide.
 */
export function linkImports(imports: readonly string[], host: Readonly<Record<string, object>>): Record<string, object> {
  const out: Record<string, object> = {};
  for (const spec of imports) {
    const parsed = parseSpecifier(spec);
    const compatible = parsed !== undefined && (parsed.version === undefined
      || (parsed.ns === 'fermyon' ? /^2\.0\.\d+/ : /^0\.2\.\d+/).test(parsed.version));
    // An exact key first: an embedder's own interface at any version (`example:plugin/host@1.0.0`).
    const impl = host[spec] ?? (compatible ? host[parsed.base] : undefined);
    if (impl === undefined) {
      throw new WasmletError('WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED',
        `the component imports ${spec}, which wasmlet does not provide; wasmlet serves wasi:cli, io, clocks, random, filesystem, sockets (always denied) and http at 0.2.x, and fermyon:spin@2.0.0`,
        { blame: 'guest' });
    }
    out[spec] = impl;
  }
  return out;
}

/** One instance of a component: its exports and the way to retire it. */
export interface ComponentInstance {
  /** The component's exports as jco lifts them (see {@link instantiateComponent}). */
  exports: Record<string, unknown>;
  /**
   * Declares that this instance will never run again (its export call settled, or it trapped) and
   * gives its linear memories back to the component's pools (zeroed there). Idempotent. Never call
   * it while a call into the instance is pending: the memory would be reused under it.
   */
  retire(): void;
}

/**
 * Instantiates `prepared` with `host` and returns the exports plus `retire`. Core modules whose
 * memory was rewritten into an import get a memory from their pool (zeroed, declared size).
 * Calling `retire` is optional: an instance that is never retired keeps its memory until GC.
 */
export async function createComponentInstance(prepared: PreparedComponent, host: Readonly<Record<string, object>>): Promise<ComponentInstance> {
  const imports = linkImports(prepared.imports, host);
  const getCoreModule = (name: string): WebAssembly.Module => {
    const m = prepared.coreModules.get(name);
    if (m === undefined) throw new WasmletError('WASMLET_ERR_COMPONENT_CACHE', `transpiled component is missing ${name}; delete ${prepared.dir} and retry`);
    return m;
  };
  const leased: [MemoryPool, WebAssembly.Memory][] = [];
  const pools = (prepared.memoryPools ??= new Map());
  const instantiateCore = async (module: WebAssembly.Module, imp: WebAssembly.Imports = {}): Promise<WebAssembly.Instance> => {
    let pool = pools.get(module);
    if (pool === undefined) {
      const spec = findRecycledMemoryImport(module);
      pool = spec === undefined ? null : new MemoryPool(spec.initialPages, spec.maximumPages);
      pools.set(module, pool);
    }
    if (pool !== null) {
      const memory = pool.acquire();
      leased.push([pool, memory]);
      imp = { ...imp, [RECYCLED_MEMORY_MODULE]: { [pool.field]: memory } };
    }
    // Synchronous: the module is compiled already, and the async form only adds a task hop.
    return new WebAssembly.Instance(module, imp);
  };
  let exports: Record<string, unknown>;
  try {
    exports = await prepared.instantiate(getCoreModule, imports, instantiateCore);
  } catch (err) {
    // A failed start function leaves nothing that can run: the memories can go back.
    for (const [pool, memory] of leased.splice(0)) pool.release(memory);
    throw err;
  }
  return {
    exports,
    retire() {
      for (const [pool, memory] of leased.splice(0)) pool.release(memory);
    },
  };
}

/**
 * Instantiates `prepared` with `host` (interface objects keyed by unversioned specifier, as built
 * by `createWasiP2Host`). Returns the component's exports as jco lifts them (e.g.
 * `exports['wasi:cli/run@0.2.12'].run()`, which returns a Promise under JSPI). The instance is
 * never retired, so its memory is not recycled; use {@link createComponentInstance} for that.
 */
export async function instantiateComponent(prepared: PreparedComponent, host: Readonly<Record<string, object>>): Promise<Record<string, unknown>> {
  return (await createComponentInstance(prepared, host)).exports;
}

/** Finds an export by unversioned interface name (`wasi:cli/run`), any 0.2.x version. */
export function findExport(exports: Record<string, unknown>, iface: string): Record<string, unknown> | undefined {
  for (const [name, value] of Object.entries(exports)) {
    const parsed = parseSpecifier(name);
    if (parsed?.base === iface && (parsed.version === undefined || /^0\.2\.\d+/.test(parsed.version))) {
      return value as Record<string, unknown>;
    }
  }
  return undefined;
}
