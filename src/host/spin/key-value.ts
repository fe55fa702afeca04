// `fermyon:spin/key-value@2.0.0` (spinframework/spin `wit/deps/spin@2.0.0/key-value.wit`) over
// the key-value backends of src/host/kv; grants (`access-denied`, `no-such-store`) in
// granted-stores.ts. Every call but the handle's drop suspends the guest through JSPI
// (transpile.ts).
import type { KeyValueStore } from '../kv/store.ts';
import { createGrantedStores, kvGuestError as guestError } from './granted-stores.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';
import { traced, type HostCallTracer } from '../../util/trace-context.ts';

/** The `store` resource class jco's glue expects (`Store.open`, methods, `[Symbol.dispose]`). */
export interface SpinStoreClass {
  open(label: string): Promise<object>;
}

/**
 * Builds the interface object of one instance: `{ Store }`. Store handles the guest leaves open
 * are closed by the returned `close` (call it when the instance retires). Calls reject with a
 * `KeyValueError` whose payload is the WIT `error`.
 */
export function createSpinKeyValue(options: SpinHostOptions, backends: SpinThreadBackends, tracer?: HostCallTracer): { imports: { Store: SpinStoreClass }; close(): void } {
  const stores = createGrantedStores(options, backends);

  /** Runs one store operation, as a span when traced (named as Spin's `spin_key_value.*` spans). */
  const call = <T>(op: string, label: string, fn: () => Promise<T>): Promise<T> =>
    traced(tracer, `spin_key_value.${op}`, 'internal', { 'kv.store': label }, async () => {
      try { return await fn(); } catch (err) { throw guestError(err); }
    });

  class Store {
    #store: KeyValueStore;
    readonly #label: string;
    private constructor(store: KeyValueStore, label: string) {
      this.#store = store;
      this.#label = label;
    }
    static async open(label: string): Promise<Store> {
      return call('open', label, async () => new Store(await stores.open(label), label));
    }
    get(key: string): Promise<Uint8Array | undefined> { return call('get', this.#label, () => this.#store.get(key)); }

    set(key: string, value: Uint8Array): Promise<void> { return call('set', this.#label, () => this.#store.set(key, value)); }

    delete(key: string): Promise<void> { return call('delete', this.#label, () => this.#store.delete(key)); }

    exists(key: string): Promise<boolean> { return call('exists', this.#label, () => this.#store.exists(key)); }

    getKeys(): Promise<string[]> { return call('get_keys', this.#label, () => this.#store.getKeys()); }

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
