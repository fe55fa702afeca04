// `fermyon:spin/key-value@2.0.0` (spinframework/spin `wit/deps/spin@2.0.0/key-value.wit`) over
// the key-value backends of src/host/kv. Grants as Spin's `crates/factor-key-value/src/host.rs`
// (`open`: a label outside the component's `key_value_stores` is `access-denied`), with one
// refinement the WIT allows: a label the app knows nowhere (no backend, no component names it)
// is `no-such-store` ("the host does not recognize the store label"), so a typo reads as one.
// Every call but `open` and the handle's drop suspends the guest through JSPI (transpile.ts).
import { KeyValueError, isKeyValueError, kvOther } from '../kv/kv-error.ts';
import type { KeyValueStore } from '../kv/store.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';

/** The `store` resource class jco's glue expects (`Store.open`, methods, `[Symbol.dispose]`). */
export interface SpinStoreClass {
  open(label: string): Promise<object>;
}

/** Backend failures that are not `KeyValueError`s still reach the guest as `other`, never a trap. */
function guestError(err: unknown): KeyValueError {
  return isKeyValueError(err) ? err : kvOther(err instanceof Error ? err.message : String(err), err);
}

/**
 * Builds the interface object of one instance: `{ Store }`. Store handles the guest leaves open
 * are closed by the returned `close` (call it when the instance retires). Calls reject with a
 * `KeyValueError` whose payload is the WIT `error`.
 */
export function createSpinKeyValue(options: SpinHostOptions, backends: SpinThreadBackends): { imports: { Store: SpinStoreClass }; close(): void } {
  const granted = new Set(options.keyValueStores ?? []);
  const known = new Set(options.knownKeyValueStores ?? []);
  const specs = options.keyValueBackends ?? {};
  const open = new Set<KeyValueStore>();

  class Store {
    #store: KeyValueStore;
    private constructor(store: KeyValueStore) {
      this.#store = store;
    }

    static async open(label: string): Promise<Store> {
      if (!granted.has(label)) throw new KeyValueError({ tag: known.has(label) ? 'access-denied' : 'no-such-store' });
      const spec = Object.hasOwn(specs, label) ? specs[label] : undefined;
      if (spec === undefined) throw new KeyValueError({ tag: 'no-such-store' });
      try {
        const store = await (await backends.keyValue(spec)).open(label);
        open.add(store);
        return new Store(store);
      } catch (err) {
        throw guestError(err);
      }
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
      open.delete(this.#store);
      this.#store.close().catch(() => {});
    }
  }

  return {
    imports: { Store },
    close() {
      for (const store of open) store.close().catch(() => {});
      open.clear();
    },
  };
}
