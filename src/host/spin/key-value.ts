// `fermyon:spin/key-value@2.0.0` (spinframework/spin `wit/deps/spin@2.0.0/key-value.wit`) over
// the key-value backends of src/host/kv; grants (`access-denied`, `no-such-store`) in
// granted-stores.ts. Every call but the handle's drop suspends the guest through JSPI
// (transpile.ts).
import type { KeyValueStore } from '../kv/store.ts';
import { createGrantedStores, kvGuestError as guestError } from './granted-stores.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';

/** The `store` resource class jco's glue expects (`Store.open`, methods, `[Symbol.dispose]`). */
export interface SpinStoreClass {
  open(label: string): Promise<object>;
}

/**
 * Builds the interface object of one instance: `{ Store }`. Store handles the guest leaves open
 * are closed by the returned `close` (call it when the instance retires). Calls reject with a
 * `KeyValueError` whose payload is the WIT `error`.
 */
export function createSpinKeyValue(options: SpinHostOptions, backends: SpinThreadBackends): { imports: { Store: SpinStoreClass }; close(): void } {
  const stores = createGrantedStores(options, backends);

  class Store {
    #store: KeyValueStore;
    private constructor(store: KeyValueStore) {
      this.#store = store;
    }
    static async open(label: string): Promise<Store> {
      return new Store(await stores.open(label));
    }
    async get(key: string): Promise<Uint8Array | undefined> {
      try { return await this.#store.get(key); } catch (err) { throw guestError(err); }
    }

    async set(key: string, value: Uint8Array): Promise<void> {
      try { await this.#store.set(key, value); } catch (err) { throw guestError(err); }
    }

    async delete(key: string): Promise<void> {
      try { await this.#store.delete(key); } catch (err) { throw guestError(err); }
    }

    async exists(key: string): Promise<boolean> {
      try { return await this.#store.exists(key); } catch (err) { throw guestError(err); }
    }

    async getKeys(): Promise<string[]> {
      try { return await this.#store.getKeys(); } catch (err) { throw guestError(err); }
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
