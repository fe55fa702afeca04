// The exit statuses of `wasmlet`. A guest's proc_exit code passes through untouched, so wasmlet's
// own statuses follow shell conventions: 2 for usage errors, 124 for a timeout and 125 for "could
// not run it", as coreutils `timeout` and `env` do.
import { errorCodeInfo, isWasmletError } from '../util/errors.ts';

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

/**
 * The exit status for an error a command failed with (see {@link EXIT}): the code's `exitStatus`
 * in the error registry (`ERROR_CODES`); anything that is not a WasmletError is 125.
 */
export function exitCodeFor(err: unknown): number {
  if (!isWasmletError(err)) return EXIT.CANNOT_RUN;
  return errorCodeInfo(err.code)?.exitStatus ?? EXIT.CANNOT_RUN;
}
