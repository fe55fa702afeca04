// The exported functions of a component instance as jco lifts them, described as plain data (so
// the worker-backed mode can build the same `exports` object on the main thread) and called by
// name. jco's instantiation mode returns `{ [interface]: { [function]: fn } }` for an exported
// interface (under both its short name, `greeter`, and its full one, `example:plugin/greeter`) and
// `{ [function]: fn }` for a function the world exports itself; names are camelCased
// (`parse-age` -> `parseAge`; bytecodealliance/jco `crates/js-component-bindgen`).
import { WasmletError } from '../util/errors.ts';

/** Each export name -> `null` (a function the world exports) or its interface's function names. */
export type ExportShape = Record<string, string[] | null>;

/**
 * The shape of `exports`. Exported resources (classes) are left out: a plugin exposes functions
 * only (a resource handle cannot cross a worker boundary).
 */
export function describeExports(exports: Record<string, unknown>): ExportShape {
  const shape: ExportShape = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'function') { shape[name] = null; continue; }
    if (value === null || typeof value !== 'object') continue;
    shape[name] = Object.keys(value).filter((k) => typeof (value as Record<string, unknown>)[k] === 'function' && !/^[A-Z]/.test(k));
  }
  return shape;
}

/**
 * The function `fn` of export `name` (`fn` undefined: `name` is itself a function).
 * @throws WasmletError `WASMLET_ERR_INTERNAL` (blame host) when there is no such function: the
 *   plugin's `exports` are built from this component's own {@link describeExports}.
 */
export function exportedFunction(exports: Record<string, unknown>, name: string, fn: string | undefined): (...args: unknown[]) => unknown {
  const target = fn === undefined ? exports[name] : (exports[name] as Record<string, unknown> | undefined)?.[fn];
  if (typeof target !== 'function') {
    throw new WasmletError('WASMLET_ERR_INTERNAL', `the component exports no function ${fn === undefined ? name : `${name}.${fn}`}`, { blame: 'host' });
  }
  return target as (...args: unknown[]) => unknown;
}
