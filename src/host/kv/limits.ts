// Size limits and key checks applied by every backend before it touches storage, so an over-size
// or malformed input is the same `other` error on each. Spin documents no key or value limit; it
// caps a *result* at `MAX_HOST_BUFFERED_BYTES` = 128 MiB (spinframework/spin
// `crates/world/src/lib.rs`). wasmlet caps what is written, because the guest chooses the size of
// the host's buffers (the reason Wasmtime gives for `MAX_READ_SIZE_ALLOC`).
import { kvOther } from './kv-error.ts';

/** Per-backend limits, in bytes. */
export interface KeyValueLimits {
  /** Longest key, in UTF-8 bytes. Default {@link DEFAULT_MAX_KEY_BYTES}. */
  maxKeyBytes: number;
  /** Largest value. Default {@link DEFAULT_MAX_VALUE_BYTES}. Also applies to values read back. */
  maxValueBytes: number;
}

/** 8 KiB: far above any sensible key; bounds an index entry. */
export const DEFAULT_MAX_KEY_BYTES = 8 * 1024;
/** 16 MiB: a value crosses the guest boundary whole (one `list<u8>`), so it must fit comfortably. */
export const DEFAULT_MAX_VALUE_BYTES = 16 * 1024 * 1024;

/** The defaults with `overrides` applied. */
export function resolveLimits(overrides?: Partial<KeyValueLimits>): KeyValueLimits {
  return {
    maxKeyBytes: overrides?.maxKeyBytes ?? DEFAULT_MAX_KEY_BYTES,
    maxValueBytes: overrides?.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
  };
}

/**
 * Throws `other` unless `key` is a string that is well-formed Unicode (no lone surrogates: it
 * must encode to UTF-8 without loss, or two keys would collide) and at most `maxKeyBytes` long.
 */
export function checkKey(key: string, limits: KeyValueLimits): void {
  if (typeof key !== 'string') throw kvOther('key must be a string');
  if (!key.isWellFormed()) throw kvOther('key is not valid UTF-8 (it contains a lone surrogate)');
  // A UTF-16 unit encodes to at most 3 UTF-8 bytes: only measure when it could be over.
  if (key.length * 3 > limits.maxKeyBytes && Buffer.byteLength(key, 'utf8') > limits.maxKeyBytes) {
    throw kvOther(`key of ${Buffer.byteLength(key, 'utf8')} bytes exceeds the limit of ${limits.maxKeyBytes} bytes`);
  }
}

/** Throws `other` unless `value` is a `Uint8Array` of at most `maxValueBytes`. */
export function checkValue(value: Uint8Array, limits: KeyValueLimits): void {
  if (!(value instanceof Uint8Array)) throw kvOther('value must be bytes (a Uint8Array)');
  if (value.byteLength > limits.maxValueBytes) {
    throw kvOther(`value of ${value.byteLength} bytes exceeds the limit of ${limits.maxValueBytes} bytes`);
  }
}

/** Throws `other` when a stored value read back is over the limit (written by another tool). */
export function checkStoredValue(value: Uint8Array | undefined, limits: KeyValueLimits): void {
  if (value !== undefined && value.byteLength > limits.maxValueBytes) {
    throw kvOther(`stored value of ${value.byteLength} bytes exceeds the limit of ${limits.maxValueBytes} bytes`);
  }
}

/** The signed 64-bit range of `increment` (WIT `s64`). */
export const S64_MIN = -(2n ** 63n);
export const S64_MAX = 2n ** 63n - 1n;

/** Throws `other` unless `delta` is a bigint in the s64 range. */
export function checkDelta(delta: bigint): void {
  if (typeof delta !== 'bigint' || delta < S64_MIN || delta > S64_MAX) throw kvOther('delta must be a signed 64-bit integer (bigint)');
}
