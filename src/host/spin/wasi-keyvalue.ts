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
// Every function here may wait on the backend and suspends the guest through JSPI (transpile.ts).
import { traced, type HostCallTracer } from '../../util/trace-context.ts';
import { KeyValueError, type KeyValueErrorPayload } from '../kv/kv-error.ts';
import type { KeyValueStore } from '../kv/store.ts';
import { WitError } from '../wit-error.ts';
import { createGrantedStores, kvGuestError } from './granted-stores.ts';
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

/**
 * Builds the `wasi:keyvalue` host of one instance: `store.{open, Bucket}`, `atomics.{Cas,
 * increment, swap}`, `batch.{getMany, setMany, deleteMany}`. Calls reject with a `KeyValueError`
 * (payload: `store.error`) or, from `swap`, a {@link CasError}. Does no I/O until the guest calls.
 */
export function createWasiKeyValue(options: SpinHostOptions, backends: SpinThreadBackends, tracer?: HostCallTracer): WasiKeyValueHost {
  const stores = createGrantedStores(options, backends);
  /**
   * Runs a backend call on store `label` (a span `wasi_keyvalue.<op>` when traced); whatever it
   * rejects with reaches the guest as the interface's `error`.
   */
  const guarded = <T>(op: string, label: string, call: () => Promise<T>): Promise<T> =>
    traced(tracer, `wasi_keyvalue.${op}`, 'internal', { 'kv.store': label }, async () => {
      try { return await call(); } catch (err) { throw toWasiKeyValueError(err); }
    });
  let storeOf!: (bucket: Bucket) => KeyValueStore;
  let casState!: (cas: Cas) => { store: KeyValueStore; key: string; seen: Uint8Array | undefined };

  /** `store.bucket`: a granted store, opened by its label. */
  class Bucket {
    #store: KeyValueStore;
    static {
      storeOf = (bucket) => bucket.#store;
    }
    constructor(store: KeyValueStore) {
      this.#store = store;
    }
    get(key: string): Promise<Uint8Array | undefined> {
      return guarded('get', this.#store.label, () => this.#store.get(key));
    }
    set(key: string, value: Uint8Array): Promise<void> {
      return guarded('set', this.#store.label, () => this.#store.set(key, value));
    }
    delete(key: string): Promise<void> {
      return guarded('delete', this.#store.label, () => this.#store.delete(key));
    }
    exists(key: string): Promise<boolean> {
      return guarded('exists', this.#store.label, () => this.#store.exists(key));
    }
    /** `key-response { keys, cursor }`: pass `cursor` back until it is none (undefined). */
    listKeys(cursor: string | undefined): Promise<{ keys: string[]; cursor: string | undefined }> {
      return guarded('list_keys', this.#store.label, () => this.#store.listKeys(cursor));
    }
    /** The guest dropped the handle. */
    [Symbol.dispose](): void {
      stores.release(this.#store);
    }
  }

  /** `atomics.cas`: one compare-and-swap on one key, bound to the value `current()` last read. */
  class Cas {
    #store: KeyValueStore;
    #key: string;
    #seen: Uint8Array | undefined;
    static {
      casState = (cas) => ({ store: cas.#store, key: cas.#key, seen: cas.#seen });
    }
    constructor(store: KeyValueStore, key: string) {
      this.#store = store;
      this.#key = key;
    }
    static async new(bucket: Bucket, key: string): Promise<Cas> {
      const label = storeOf(bucket).label;
      return guarded('cas_new', label, async () => new Cas(await stores.open(label), key));
    }
    /** The key's value now (undefined: absent); `swap` then succeeds only if it is still this. */
    current(): Promise<Uint8Array | undefined> {
      return guarded('cas_current', this.#store.label, async () => {
        this.#seen = await this.#store.get(this.#key);
        return this.#seen;
      });
    }
    /** The guest dropped the handle (or `swap` consumed it). */
    [Symbol.dispose](): void {
      stores.release(this.#store);
    }
  }

  async function swap(cas: Cas, value: Uint8Array): Promise<void> {
    const { store, key, seen } = casState(cas);
    let swapped: boolean;
    let fresh: Cas | undefined;
    try {
      swapped = await store.compareAndSwap(key, seen, value);
      if (!swapped) {
        fresh = new Cas(await stores.open(store.label), key);
        await fresh.current();
      }
    } catch (err) {
      if (fresh !== undefined) fresh[Symbol.dispose]();
      throw new CasError({ tag: 'store-error', val: toWasiKeyValueError(err).payload as WasiKeyValueErrorPayload });
    } finally {
      cas[Symbol.dispose](); // `swap` takes ownership of the handle: it ends here
    }
    if (fresh !== undefined) throw new CasError({ tag: 'cas-failed', val: fresh });
  }

  return {
    imports: {
      'wasi:keyvalue/store': {
        Bucket,
        open: (identifier: string): Promise<Bucket> => guarded('open', identifier, async () => new Bucket(await stores.open(identifier))),
      },
      'wasi:keyvalue/atomics': {
        Cas,
        increment: (bucket: Bucket, key: string, delta: bigint): Promise<bigint> => guarded('increment', storeOf(bucket).label, () => storeOf(bucket).increment(key, delta)),
        swap,
      },
      'wasi:keyvalue/batch': {
        getMany: (bucket: Bucket, keys: string[]): Promise<Array<[string, Uint8Array | undefined]>> => guarded('get_many', storeOf(bucket).label, () => storeOf(bucket).getMany(keys)),
        setMany: (bucket: Bucket, keyValues: Array<[string, Uint8Array]>): Promise<void> => guarded('set_many', storeOf(bucket).label, () => storeOf(bucket).setMany(keyValues)),
        deleteMany: (bucket: Bucket, keys: string[]): Promise<void> => guarded('delete_many', storeOf(bucket).label, () => storeOf(bucket).deleteMany(keys)),
      },
    },
    close: () => stores.close(),
  };
}

/**
 * The `wasi:keyvalue` imports that may wait on host I/O, as jco's `asyncImports` selectors
 * (`interface#function`, unversioned): the guest suspends on them through JSPI.
 */
export const WASI_KEYVALUE_JSPI_IMPORTS: readonly string[] = [
  'wasi:keyvalue/store#open',
  ...['get', 'set', 'delete', 'exists', 'list-keys'].map((m) => `wasi:keyvalue/store#[method]bucket.${m}`),
  'wasi:keyvalue/atomics#[static]cas.new',
  'wasi:keyvalue/atomics#[method]cas.current',
  'wasi:keyvalue/atomics#increment',
  'wasi:keyvalue/atomics#swap',
  'wasi:keyvalue/batch#get-many',
  'wasi:keyvalue/batch#set-many',
  'wasi:keyvalue/batch#delete-many',
];
