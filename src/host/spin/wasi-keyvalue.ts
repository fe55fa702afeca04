// `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` as Spin vendors it (spinframework/spin
// `wit/deps/keyvalue-2024-10-17/{store,atomic,batch}.wit`) over the key-value backends of
// src/host/kv, for the same grants as `fermyon:spin/key-value` (granted-stores.ts: a bucket
// identifier is a `key_value_stores` label). Behaviour as Spin's
// `crates/factor-key-value/src/host.rs`, with these differences, each one the WIT allows:
//   - `list-keys` pages with a cursor (Spin answers `other("list_keys: cursor not supported")`);
//   - `swap` compares with the value the handle's last `current()` read, or "absent" when it never
//     read one (Spin's SQLite store upserts then, overwriting a concurrent write); a value changed
//     meanwhile is `cas-failed` with a fresh handle whose `current()` is already read, as the WIT
//     requires ("a CAS handle that has been updated to the latest version");
//   - a `cas` holds its own handle on the store, so it outlives the bucket it was made from (as
//     Spin's `Arc<dyn Store>` does).
// Every function here returns its value directly when the component's stores are all embedded,
// else suspends the guest through JSPI while the backend works (host-io.ts).
import { KeyValueError, type KeyValueErrorPayload } from '../kv/kv-error.ts';
import { WitError } from '../wit-error.ts';
import { createGrantedStores, kvGuestError, type GrantedStore } from './granted-stores.ts';
import { guestResult, then, type KeyValueHostIo } from './host-io.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';

/** Version of the `wasi:keyvalue` package these interfaces implement. */
export const WASI_KEYVALUE_VERSION = '0.2.0-draft2';

/** `wasi:keyvalue/store.error`: Spin's error without `store-table-full`. */
export type WasiKeyValueErrorPayload = Exclude<KeyValueErrorPayload, { tag: 'store-table-full' }>;

/** `wasi:keyvalue/atomics.cas-error` in jco's shape; `cas-failed` carries the fresh handle. */
export type CasErrorPayload =
  | { tag: 'store-error'; val: WasiKeyValueErrorPayload }
  | { tag: 'cas-failed'; val: object };

/** The `cas-error` thrown by `swap` (jco hands its `payload` to the guest as the `err`). */
export class CasError extends WitError<CasErrorPayload> {
  override readonly name = 'CasError';
}

/**
 * Any failure as `wasi:keyvalue/store.error`: Spin's `to_wasi_err` (`store-table-full` becomes
 * `other("store table full")`); anything not a `KeyValueError` becomes `other(message)`.
 */
export function toWasiKeyValueError(err: unknown): KeyValueError {
  const kv = kvGuestError(err);
  return kv.payload.tag === 'store-table-full' ? new KeyValueError({ tag: 'other', val: 'store table full' }, { cause: err }) : kv;
}

/** Runs a backend call; whatever it throws or rejects with reaches the guest as the interface's `error`. */
function guarded<T>(call: () => T | Promise<T>): T | Promise<T> {
  return guestResult(call, toWasiKeyValueError);
}

/** One instance's `wasi:keyvalue` interface objects, keyed as jco keys imports (unversioned). */
export interface WasiKeyValueHost {
  imports: {
    'wasi:keyvalue/store': object;
    'wasi:keyvalue/atomics': object;
    'wasi:keyvalue/batch': object;
  };
  /** Closes the bucket and cas handles the guest left open. Idempotent. */
  close(): void;
}

/** A call's result: the value itself under `'sync'` host I/O, a Promise under `'jspi'`. */
type Io<T> = T | Promise<T>;

/**
 * Builds the `wasi:keyvalue` host of one instance: `store.{open, Bucket}`, `atomics.{Cas,
 * increment, swap}`, `batch.{getMany, setMany, deleteMany}`. Calls fail with a `KeyValueError`
 * (payload: `store.error`) or, from `swap`, a {@link CasError}: thrown before the call returns
 * under `'sync'` host I/O (host-io.ts), rejected under `'jspi'`. Does no I/O until the guest calls.
 */
export function createWasiKeyValue(options: SpinHostOptions, backends: SpinThreadBackends, io: KeyValueHostIo = 'jspi'): WasiKeyValueHost {
  const stores = createGrantedStores(options, backends, io);
  let storeOf!: (bucket: Bucket) => GrantedStore;
  let casState!: (cas: Cas) => { store: GrantedStore; key: string; seen: Uint8Array | undefined };

  /** `store.bucket`: a granted store, opened by its label. */
  class Bucket {
    #store: GrantedStore;
    static {
      storeOf = (bucket) => bucket.#store;
    }
    constructor(store: GrantedStore) {
      this.#store = store;
    }
    get(key: string): Io<Uint8Array | undefined> {
      return guarded(() => this.#store.get(key));
    }
    set(key: string, value: Uint8Array): Io<void> {
      return guarded(() => this.#store.set(key, value));
    }
    delete(key: string): Io<void> {
      return guarded(() => this.#store.delete(key));
    }
    exists(key: string): Io<boolean> {
      return guarded(() => this.#store.exists(key));
    }
    /** `key-response { keys, cursor }`: pass `cursor` back until it is none (undefined). */
    listKeys(cursor: string | undefined): Io<{ keys: string[]; cursor: string | undefined }> {
      return guarded(() => this.#store.listKeys(cursor));
    }
    /** The guest dropped the handle. */
    [Symbol.dispose](): void {
      stores.release(this.#store);
    }
  }

  /** `atomics.cas`: one compare-and-swap on one key, bound to the value `current()` last read. */
  class Cas {
    #store: GrantedStore;
    #key: string;
    #seen: Uint8Array | undefined;
    static {
      casState = (cas) => ({ store: cas.#store, key: cas.#key, seen: cas.#seen });
    }
    constructor(store: GrantedStore, key: string) {
      this.#store = store;
      this.#key = key;
    }
    static new(bucket: Bucket, key: string): Io<Cas> {
      const label = storeOf(bucket).label;
      return guarded(() => then(stores.open(label), (store: GrantedStore) => new Cas(store, key)));
    }
    /** The key's value now (undefined: absent); `swap` then succeeds only if it is still this. */
    current(): Io<Uint8Array | undefined> {
      return guarded(() => then(this.#store.get(this.#key), (seen) => (this.#seen = seen)));
    }
    /** The guest dropped the handle (or `swap` consumed it). */
    [Symbol.dispose](): void {
      stores.release(this.#store);
    }
  }

  /**
   * `atomics.swap`: takes ownership of `cas` (its handle ends here, whatever the outcome). A lost
   * race is `cas-failed` with a fresh handle whose `current()` is already read.
   */
  function swap(cas: Cas, value: Uint8Array): Io<void> {
    const { store, key, seen } = casState(cas);
    let fresh: Cas | undefined;
    const storeError = (err: unknown): never => {
      if (fresh !== undefined) fresh[Symbol.dispose]();
      throw new CasError({ tag: 'store-error', val: toWasiKeyValueError(err).payload as WasiKeyValueErrorPayload });
    };
    const outcome = (): void => {
      if (fresh !== undefined) throw new CasError({ tag: 'cas-failed', val: fresh });
    };
    let steps: Io<unknown>;
    try {
      steps = then(store.compareAndSwap(key, seen, value), (swapped) => swapped ? undefined
        : then(stores.open(store.label), (opened: GrantedStore) => (fresh = new Cas(opened, key)).current()));
    } catch (err) {
      cas[Symbol.dispose]();
      return storeError(err);
    }
    if (!(steps instanceof Promise)) {
      cas[Symbol.dispose]();
      return outcome();
    }
    return steps.then(outcome, storeError).finally(() => cas[Symbol.dispose]());
  }

  return {
    imports: {
      'wasi:keyvalue/store': {
        Bucket,
        open: (identifier: string): Io<Bucket> => guarded(() => then(stores.open(identifier), (store: GrantedStore) => new Bucket(store))),
      },
      'wasi:keyvalue/atomics': {
        Cas,
        increment: (bucket: Bucket, key: string, delta: bigint): Io<bigint> => guarded(() => storeOf(bucket).increment(key, delta)),
        swap,
      },
      'wasi:keyvalue/batch': {
        getMany: (bucket: Bucket, keys: string[]): Io<Array<[string, Uint8Array | undefined]>> => guarded(() => storeOf(bucket).getMany(keys)),
        setMany: (bucket: Bucket, keyValues: Array<[string, Uint8Array]>): Io<void> => guarded(() => storeOf(bucket).setMany(keyValues)),
        deleteMany: (bucket: Bucket, keys: string[]): Io<void> => guarded(() => storeOf(bucket).deleteMany(keys)),
      },
    },
    close: () => stores.close(),
  };
}
