// The one key-value interface every backend implements (embedded SQLite, Redis), independent of
// how guests call it: `fermyon:spin/key-value@2.0.0` and `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2`
// (as spinframework/spin vendors them in `wit/deps/`) both map onto it. Mirrors Spin's `Store`
// trait in `crates/factor-key-value/src/host.rs`, with two changes: compare-and-swap is one call
// taking the value the guest saw (`cas.current()`), and `listKeys` pages with a cursor (Spin
// refuses a cursor: "list_keys: cursor not supported").

/** One page of {@link KeyValueStore.listKeys}. */
export interface KeyPage {
  keys: string[];
  /** Pass it back to get the next page; `undefined` when the listing is complete. */
  cursor: string | undefined;
}

/**
 * One store (a Spin label, a `wasi:keyvalue` bucket) on one backend. Keys are strings (well-formed
 * Unicode, stored as UTF-8), values bytes. Every method rejects with a `KeyValueError`
 * (`./kv-error.ts`) and never anything else: `other(message)` for a bad key or value (see
 * `./limits.ts`), a backend failure (Redis unreachable: fails fast, see `redis-store.ts`), or a
 * call after `close()`. A failed call changes nothing.
 */
export interface KeyValueStore {
  /** The label the store was opened with. */
  readonly label: string;
  /** The value, or `undefined` when the key is absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Creates or replaces. Durable once the promise resolves (see each backend). */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Every key of the store, in no promised order (Spin's `get-keys`). */
  getKeys(): Promise<string[]>;
  /**
   * One page of keys (`wasi:keyvalue/store.bucket.list-keys`): start with `cursor` undefined, then
   * pass back the returned cursor until it is `undefined`. A page may be empty while the cursor is
   * not (Redis SCAN). Keys present for the whole listing are returned at least once; keys
   * added or removed meanwhile may or may not be. `limit` is a hint (default 1000).
   */
  listKeys(cursor?: string, limit?: number): Promise<KeyPage>;
  /**
   * Adds `delta` atomically and returns the new value; an absent key counts as 0. The stored
   * encoding is the backend's, as Spin's: SQLite 8 bytes little-endian two's complement
   * (`i64::to_le_bytes`), Redis decimal text (`INCRBY`). A value not in that encoding, or an
   * overflow past the signed 64-bit range, is `other`.
   */
  increment(key: string, delta: bigint): Promise<bigint>;
  /**
   * Sets `key` to `value` only if its current value is byte-equal to `expected` (`undefined`:
   * only if the key is absent), atomically. Returns false, changing nothing, when it differs:
   * `wasi:keyvalue/atomics.swap`'s `cas-failed`.
   */
  compareAndSwap(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean>;
  /** One entry per requested key, in order; `undefined` for an absent key. */
  getMany(keys: readonly string[]): Promise<Array<[string, Uint8Array | undefined]>>;
  /** All or nothing (one transaction; Redis `MSET`). */
  setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Ends this handle: later calls reject with `other`. Closing twice is a no-op. */
  close(): Promise<void>;
}

/**
 * A backend: opens stores by label. Spin's `StoreManager`. Closing it closes its connection(s)
 * and every store opened from it.
 */
export interface KeyValueBackend {
  /** What it is, for logs (never a password). */
  readonly summary: string;
  open(label: string): Promise<KeyValueStore>;
  close(): Promise<void>;
}
