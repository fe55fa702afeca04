// The base of the guest-facing errors of wasmlet's own WIT interfaces (key-value, SQLite, ...).
// jco's glue hands an error's `payload` to the guest as the `err` of the import's `result`, so a
// host import may let such an error propagate; any other thrown Error traps. The host stays up
// either way.

/** A WIT variant value in jco's shape: `{ tag }` or `{ tag, val }`. */
export interface WitVariant { readonly tag: string; readonly val?: unknown }

/**
 * A guest-facing error carrying the WIT `error` value in `payload`. Subclasses fix `name`; the
 * message is the payload's string `val`, else its tag.
 */
export class WitError<P extends WitVariant> extends Error {
  /** The WIT variant value handed to the guest. */
  readonly payload: P;
  constructor(payload: P, options?: { cause?: unknown }) {
    super(typeof payload.val === 'string' ? payload.val : payload.tag, options);
    this.payload = payload;
  }
}

/**
 * True when `err` is a WitError named `name` (by instance, or by shape in case of duplicate module
 * copies, as across a bundler boundary).
 */
export function isWitError(err: unknown, name: string): boolean {
  return err instanceof Error && err.name === name && typeof (err as { payload?: unknown }).payload === 'object';
}
