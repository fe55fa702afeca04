// `fermyon:spin/key-value@2.0.0` (spinframework/spin `wit/deps/spin@2.0.0/key-value.wit`) over
// the key-value backends of src/host/kv; grants (`access-denied`, `no-such-store`) in
// granted-stores.ts. Every call but the handle's drop returns its value directly when the
// component's stores are all embedded, else suspends the guest through JSPI (host-io.ts).
import { createGrantedStores, kvGuestError as guestError, type GrantedStore } from './granted-stores.ts';
import { guestResult, then, type KeyValueHostIo } from './host-io.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';

/** The `store` resource class jco's glue expects (`Store.open`, methods, `[Symbol.dispose]`). */
export interface SpinStoreClass {
  open(label: string): object | Promise<object>;
}

/**
 * Builds the interface object of one instance: `{ Store }`. Store handles the guest leaves open
 * are closed by the returned `close` (call it when the instance retires). Calls fail with a
 * `KeyValueError` whose payload is the WIT `error`: thrown, and results returned, before the call
 * returns under `'sync'` host I/O (host-io.ts); rejected and resolved Promises under `'jspi'`.
 */
export function createSpinKeyValue(options: SpinHostOptions, backends: SpinThreadBackends, io: KeyValueHostIo = 'jspi'): { imports: { Store: SpinStoreClass }; close(): void } {
  const stores = createGrantedStores(options, backends, io);

  class Store {
    #store: GrantedStore;
    private constructor(store: GrantedStore) {
      this.#store = store;
    }
    static open(label: string): Store | Promise<Store> {
      return then(stores.open(label), (store: GrantedStore) => new Store(store));
    }
    get(key: string): Uint8Array | undefined | Promise<Uint8Array | undefined> {
      return guestResult(() => this.#store.get(key), guestError);
    }
    set(key: string, value: Uint8Array): void | Promise<void> {
      return guestResult(() => this.#store.set(key, value), guestError);
    }
    delete(key: string): void | Promise<void> {
      return guestResult(() => this.#store.delete(key), guestError);
    }
    exists(key: string): boolean | Promise<boolean> {
      return guestResult(() => this.#store.exists(key), guestError);
    }
    getKeys(): string[] | Promise<string[]> {
      return guestResult(() => this.#store.getKeys(), guestError);
    }
    /** The guest dropped the handle. */
    [Symbol.dispose](): void {
      stores.release(this.#store);
    }
  }

  return {
    imports: { Store },
    close: () => stores.close(),
  };
}
