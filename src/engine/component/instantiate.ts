// Creates one instance of a prepared component with a given host import object. Cheap: no
// transpile, no compile; only `WebAssembly.instantiate` of already-compiled core modules.
import { WasmletError } from '../../util/errors.ts';
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
 * implementation of that interface.
 * @throws WasmletError `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED` (blame `guest`) naming the first
 *   import the host does not provide.
 */
export function linkImports(imports: readonly string[], host: Readonly<Record<string, object>>): Record<string, object> {
  const out: Record<string, object> = {};
  for (const spec of imports) {
    const parsed = parseSpecifier(spec);
    const compatible = parsed !== undefined && (parsed.version === undefined || /^0\.2\.\d+/.test(parsed.version));
    const impl = compatible ? host[parsed.base] : undefined;
    if (impl === undefined) {
      throw new WasmletError('WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED',
        `the component imports ${spec}, which wasmlet does not provide; wasmlet serves wasi:cli, io, clocks, random, filesystem, sockets (always denied) and http at 0.2.x`,
        { blame: 'guest' });
    }
    out[spec] = impl;
  }
  return out;
}

/**
 * Instantiates `prepared` with `host` (interface objects keyed by unversioned specifier, as built
 * by `createWasiP2Host`). Returns the component's exports as jco lifts them (e.g.
 * `exports['wasi:cli/run@0.2.12'].run()`, which returns a Promise under JSPI).
 */
export async function instantiateComponent(prepared: PreparedComponent, host: Readonly<Record<string, object>>): Promise<Record<string, unknown>> {
  const imports = linkImports(prepared.imports, host);
  const getCoreModule = (name: string): WebAssembly.Module => {
    const m = prepared.coreModules.get(name);
    if (m === undefined) throw new WasmletError('WASMLET_ERR_COMPONENT_CACHE', `transpiled component is missing ${name}; delete ${prepared.dir} and retry`);
    return m;
  };
  return prepared.instantiate(getCoreModule, imports, (module, imp) => WebAssembly.instantiate(module, imp));
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
