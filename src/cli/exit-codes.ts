// The exit statuses of `wasmlet`. A guest's proc_exit code passes through untouched, so wasmlet's
// own statuses follow shell conventions: 2 for usage errors, 124 for a timeout and 125 for "could
// not run it", as coreutils `timeout` and `env` do.
import { isWasmletError } from '../util/errors.ts';

/**
 * | status | meaning |
 * |-------:|---------|
 * | 0      | the guest returned from `_start` (or `--invoke`d export), or called `proc_exit(0)` |
 * | n      | the guest called `proc_exit(n)` (the OS keeps the low 8 bits); a component: 1 for `run` returning `err` or `exit(err)`, n for `exit-with-code(n)` |
 * | 1      | the guest trapped (`unreachable`, out-of-bounds access, stack exhaustion...) |
 * | 2      | usage error: unknown flag, malformed flag value (`--max-memory 12XB`), missing module argument |
 * | 124    | the guest ran past `--timeout` and was stopped |
 * | 125    | wasmlet could not run the module: file missing, not Wasm, truncated, invalid, unknown import, initial memory over `--max-memory`, no `_start`/export, a component without `wasi:cli/run`, a `--dir` that is not a directory, or an internal error; for `serve`: an invalid app or an address that cannot be bound |
 */
export const EXIT = {
  OK: 0,
  TRAP: 1,
  USAGE: 2,
  TIMEOUT: 124,
  CANNOT_RUN: 125,
} as const;

/** WasmletError codes that mean the command line itself was wrong. */
const USAGE_CODES = new Set([
  'WASMLET_ERR_USAGE',
  'WASMLET_ERR_INVALID_SIZE',
  'WASMLET_ERR_INVALID_DURATION',
  'WASMLET_ERR_INVALID_ARGUMENT',
  'WASMLET_ERR_INVALID_OPTIONS',
]);

/** The exit status for an error a command failed with (see {@link EXIT}). */
export function exitCodeFor(err: unknown): number {
  if (!isWasmletError(err)) return EXIT.CANNOT_RUN;
  if (err.code === 'WASMLET_ERR_TRAP') return EXIT.TRAP;
  if (err.code === 'WASMLET_ERR_TIMEOUT') return EXIT.TIMEOUT;
  if (USAGE_CODES.has(err.code)) return EXIT.USAGE;
  return EXIT.CANNOT_RUN;
}
