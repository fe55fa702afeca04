// Usage errors and flag parsing shared by the CLI commands.
import type { ParseArgsConfig, parseArgs } from 'node:util';
import { WasmletError } from '../util/errors.ts';

/**
 * A usage error (`WASMLET_ERR_USAGE`, blame user; exit 2) pointing at `wasmlet COMMAND --help`.
 * @param command the command word, e.g. `run`, `serve`, `registry`.
 */
export function usageError(command: string, message: string): WasmletError {
  return new WasmletError('WASMLET_ERR_USAGE', `${message} (see wasmlet ${command} --help)`, { blame: 'user' });
}

/**
 * `util.parseArgs(config)`, with a malformed command line (unknown flag, missing value) thrown as
 * {@link usageError}. node:util is loaded through `process.getBuiltinModule` (a static import costs
 * `wasmlet run`'s start-up a few ms).
 * @throws WasmletError `WASMLET_ERR_USAGE`.
 */
export function parseFlags<const T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  const util = process.getBuiltinModule('node:util');
  try {
    return util.parseArgs(config);
  } catch (err) {
    throw usageError(command, (err as Error).message);
  }
}
