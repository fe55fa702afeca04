/**
 * Who caused a failure: the guest (bad Wasm, a trap, a guest-chosen bad value), the host
 * (wasmlet or the machine: I/O error, bug), or the user (bad CLI flag, bad manifest).
 */
export type Blame = 'guest' | 'host' | 'user';

/** Options common to every {@link WasmletError}. */
export interface WasmletErrorOptions {
  /** The underlying error, if any (kept for logs; never shown to a guest). */
  cause?: unknown;
  /** Who is at fault; defaults to `'host'`. */
  blame?: Blame;
}

/**
 * The base of every error wasmlet throws at its API boundary. `code` is stable across
 * releases (match on it, never on `message`); `message` says what failed and what to do.
 * Naming follows undici/Fastify (`name` fixed, `code` like `WASMLET_ERR_*`).
 */
export class WasmletError extends Error {
  override readonly name: string = 'WasmletError';
  readonly code: string;
  readonly blame: Blame;

  constructor(code: string, message: string, options: WasmletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.blame = options.blame ?? 'host';
  }
}

/** True when `err` is a {@link WasmletError} (also across realms/workers, by shape). */
export function isWasmletError(err: unknown): err is WasmletError {
  return err instanceof WasmletError
    || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'WasmletError'
      && typeof (err as { code?: unknown }).code === 'string');
}
