// The key-value error variant, shared by `fermyon:spin/key-value@2.0.0` (`error`) and
// `wasi:keyvalue/store@0.2.0-draft2` (`error`, which lacks `store-table-full`). Cases as in
// spinframework/spin `wit/deps/spin@2.0.0/key-value.wit` and `crates/factor-key-value/src/host.rs`
// (which maps every backend failure to `other(string)`).

/** The WIT `error` variant value in jco's shape (`{ tag, val }`). */
export type KeyValueErrorPayload =
  | { tag: 'store-table-full' }
  | { tag: 'no-such-store' }
  | { tag: 'access-denied' }
  | { tag: 'other'; val: string };

/**
 * A guest-facing key-value error. Its `payload` is the WIT `error` value: jco's glue returns an
 * error's `payload` as the `err` of the import's `result` (so a host import may just let it
 * propagate), while any other thrown `Error` traps. The host stays up either way.
 */
export class KeyValueError extends Error {
  override readonly name = 'KeyValueError';
  /** The WIT variant value handed to the guest. */
  readonly payload: KeyValueErrorPayload;
  constructor(payload: KeyValueErrorPayload, options?: { cause?: unknown }) {
    super(payload.tag === 'other' ? payload.val : payload.tag, options);
    this.payload = payload;
  }
}

/** `other(message)`, the catch-all Spin uses for every backend failure. */
export function kvOther(message: string, cause?: unknown): KeyValueError {
  return new KeyValueError({ tag: 'other', val: message }, cause === undefined ? undefined : { cause });
}

/** True when `err` is a {@link KeyValueError} (by shape, in case of duplicate module copies). */
export function isKeyValueError(err: unknown): err is KeyValueError {
  return err instanceof KeyValueError || (err instanceof Error && err.name === 'KeyValueError' && typeof (err as { payload?: unknown }).payload === 'object');
}
