// The one key-value interface every backend implements (embedded SQLite, Redis), independent of
// how guests call it: `fermyon:spin/key-value@2.0.0` and `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2`
// (as spinframework/spin vendors them in `wit/deps/`) both map onto it. Mirrors Spin's `Store`
// trait in `crates/factor-key-value/src/host.rs`, with two changes: compare-and-swap is one call
// taking the value the guest saw (`cas.current()`), and `listKeys` pages with a cursor (Spin
// refuses a cursor: "list_keys: cursor not supported"). The embedded backend also offers the
// same calls synchronously ({@link KeyValueStoreSync}): node:sqlite never waits on the event loop,
// so a guest on it needs no JSPI suspension per call (src/host/spin/host-io.ts).

/** One page of {@link KeyValueStore.listKeys}. */
export interface KeyPage {
  keys: string[];
  /** Pass it back to get the next page; `undefined` when the listing is complete. */
  cursor: string | undefined;
}

/** A call's result: a Promise (`'async'`) or the value itself (`'sync'`: the call completes before it returns). */
export type KeyValueResult<T, Mode extends 'async' | 'sync'> = Mode extends 'sync' ? T : Promise<T>;

/**
 * One store (a Spin label, a `wasi:keyvalue` bucket) on one backend. Keys are strings (well-formed
 * Unicode, stored as UTF-8), values bytes. Every method rejects with a `KeyValueError`
 * (`./kv-error.ts`) and never anything else: `other(message)` for a bad key or value (see
 * `./limits.ts`), a backend failure (Redis unreachable: fails fast, see `redis-store.ts`), or a
 * call after `close()`. A failed call changes nothing.
 */
export interface KeyValueStoreOf<Mode extends 'async' | 'sync'> {
  /** The label the store was opened with. */
  readonly label: string;
  /** The value, or `undefined` when the key is absent. */
  get(key: string): KeyValueResult<Uint8Array | undefined, Mode>;
  /** Creates or replaces. Durable once the promise resolves (see each backend). */
  set(key: string, value: Uint8Array): KeyValueResult<void, Mode>;
  /** Deleting an absent key is not an error. */
  delete(key: string): KeyValueResult<void, Mode>;
  exists(key: string): KeyValueResult<boolean, Mode>;
  /** Every key of the store, in no promised order (Spin's `get-keys`). */
  getKeys(): KeyValueResult<string[], Mode>;
  /**
   * One page of keys (`wasi:keyvalue/store.bucket.list-keys`): start with `cursor` undefined, then
   * pass back the returned cursor until it is `undefined`. A page may be empty while the cursor is
   * not (Redis SCAN). Keys present for the whole listing are returned at least once; keys
   * added or removed meanwhile may or may not be. `limit` is a hint (default 1000).
   */
  listKeys(cursor?: string, limit?: number): KeyValueResult<KeyPage, Mode>;
  /**
   * Adds `delta` atomically and returns the new value; an absent key counts as 0. The stored
   * encoding is the backend's, as Spin's: SQLite 8 bytes little-endian two's complement
   * (`i64::to_le_bytes`), Redis decimal text (`INCRBY`). A value not in that encoding, or an
   * overflow past the signed 64-bit range, is `other`.
   */
  increment(key: string, delta: bigint): KeyValueResult<bigint, Mode>;
  /**
   * Sets `key` to `value` only if its current value is byte-equal to `expected` (`undefined`:
   * only if the key is absent), atomically. Returns false, changing nothing, when it differs:
   * `wasi:keyvalue/atomics.swap`'s `cas-failed`.
   */
  compareAndSwap(key: string, expected: Uint8Array | undefined, value: Uint8Array): KeyValueResult<boolean, Mode>;
  /** One entry per requested key, in order; `undefined` for an absent key. */
  getMany(keys: readonly string[]): KeyValueResult<Array<[string, Uint8Array | undefined]>, Mode>;
  /** All or nothing (one transaction; Redis `MSET`). */
  setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>): KeyValueResult<void, Mode>;
  deleteMany(keys: readonly string[]): KeyValueResult<void, Mode>;
  /** Ends this handle: later calls reject with `other`. Closing twice is a no-op. */
  close(): KeyValueResult<void, Mode>;
}

/** A store whose calls return Promises (every backend). */
export type KeyValueStore = KeyValueStoreOf<'async'>;
/** A store whose calls complete before they return and throw their `KeyValueError` (embedded SQLite). */
export type KeyValueStoreSync = KeyValueStoreOf<'sync'>;

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

/** A backend that can also open its stores synchronously (embedded SQLite). */
export interface KeyValueBackendSync extends KeyValueBackend {
  /** {@link KeyValueBackend.open}, completing before it returns; throws a `KeyValueError` (`other`) when closed. */
  openSync(label: string): KeyValueStoreSync;
}
