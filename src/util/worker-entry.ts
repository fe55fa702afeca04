// The URL of a worker thread's entry module, beside the module that starts it.

/**
 * The URL of the worker entry `relative` (without extension, e.g. `'./pool-worker'`) next to the
 * module at `from` (its `import.meta.url`), with that module's own extension: `.ts` when wasmlet
 * runs from source (Node strips the types), `.js` from `dist/`.
 */
export function workerEntry(from: string, relative: string): URL {
  return new URL(`${relative}${from.endsWith('.ts') ? '.ts' : '.js'}`, from);
}
