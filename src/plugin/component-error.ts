// The error a component plugin's call rejects with when the guest returns the `err` case of a WIT
// `result<T, E>`: jco's convention (its generated glue throws `ComponentError` with the value as
// `payload`; bytecodealliance/jco `crates/js-component-bindgen/src/intrinsics/mod.rs`,
// `Intrinsic::ComponentError`), as one class both the in-process and the worker modes reject with.

/**
 * The `err` value of a WIT `result` an exported function returned. Part of the guest's contract,
 * not a host failure: `payload` is the lifted `E` (a string, a record, a variant `{ tag, val }`).
 */
export class ComponentError extends Error {
  override readonly name = 'ComponentError';
  /** The `err` case's value, lifted as jco lifts it. */
  readonly payload: unknown;

  constructor(payload: unknown, message?: string) {
    super(message ?? (typeof payload === 'string' ? payload : `${String(payload)} (see error.payload)`));
    this.payload = payload;
  }
}

/** jco's own `ComponentError` (a class per generated glue file), recognised by shape. */
export function isJcoComponentError(err: unknown): err is Error & { payload: unknown } {
  return err instanceof Error && err.constructor.name === 'ComponentError' && Object.hasOwn(err, 'payload');
}
