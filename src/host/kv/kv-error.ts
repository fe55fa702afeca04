// The key-value error variant, shared by `fermyon:spin/key-value@2.0.0` (`error`) and
// `wasi:keyvalue/store@0.2.0-draft2` (`error`, which lacks `store-table-full`). Cases as in
// spinframework/spin `wit/deps/spin@2.0.0/key-value.wit` and `crates/factor-key-value/src/host.rs`
// (which maps every backend failure to `other(string)`).
import { WitError, isWitError } from '../wit-error.ts';

/** The WIT `error` variant value in jco's shape (`{ tag, val }`). */
export type KeyValueErrorPayload =
  | { tag: 'store-table-full' }
  | { tag: 'no-such-store' }
  | { tag: 'access-denied' }
  | { tag: 'other'; val: string };

/** A guest-facing key-value error: its `payload` is the WIT `error` value (see wit-error.ts). */
export class KeyValueError extends WitError<KeyValueErrorPayload> {
  override readonly name = 'KeyValueError';
}

/** `other(message)`, the catch-all Spin uses for every backend failure. */
export function kvOther(message: string, cause?: unknown): KeyValueError {
  return new KeyValueError({ tag: 'other', val: message }, cause === undefined ? undefined : { cause });
}

/** True when `err` is a {@link KeyValueError} (by shape, in case of duplicate module copies). */
export function isKeyValueError(err: unknown): err is KeyValueError {
  return err instanceof KeyValueError || isWitError(err, 'KeyValueError');
}
