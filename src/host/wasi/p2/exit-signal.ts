/**
 * Thrown by `wasi:cli/exit.exit` to unwind the guest. The runner that started the instance catches
 * it and turns it into an exit code; it never reaches `process.exit`. It extends `Error` so that
 * jco treats it as a trap (rethrown through the Wasm frames), not as a WIT error value.
 */
export class ExitSignal extends Error {
  override readonly name = 'ExitSignal';
  /** The guest's exit code: 0 for `exit(ok)`, 1 for `exit(err)`, n for `exit-with-code(n)`. */
  readonly code: number;
  constructor(code: number) {
    super(`guest exited with code ${code}`);
    this.code = code;
  }
}

/** True when `err` is an {@link ExitSignal} (by shape, in case of duplicate module copies). */
export function isExitSignal(err: unknown): err is ExitSignal {
  return err instanceof ExitSignal || (err instanceof Error && err.name === 'ExitSignal' && typeof (err as { code?: unknown }).code === 'number');
}
