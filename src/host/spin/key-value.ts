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
import { traced, type HostCallTracer } from '../../util/trace-context.ts';

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
export function createSpinKeyValue(options: SpinHostOptions, backends: SpinThreadBackends, tracer?: HostCallTracer): { imports: { Store: SpinStoreClass }; close(): void } {
  const granted = new Set(options.keyValueStores ?? []);
  const known = new Set(options.knownKeyValueStores ?? []);
  const specs = options.keyValueBackends ?? {};
  const open = new Set<KeyValueStore>();

  /** Runs one store operation, as a span when traced (names after Spin's `spin_key_value.*` spans). */
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
      if (!granted.has(label)) throw new KeyValueError({ tag: known.has(label) ? 'access-denied' : 'no-such-store' });
      const spec = Object.hasOwn(specs, label) ? specs[label] : undefined;
      if (spec === undefined) throw new KeyValueError({ tag: 'no-such-store' });
      return call('open', label, async () => {
        const store = await (await backends.keyValue(spec)).open(label);
        open.add(store);
        return new Store(store, label);
      });
    }

    get(key: string): Promise<Uint8Array | undefined> { return call('get', this.#label, () => this.#store.get(key)); }

    set(key: string, value: Uint8Array): Promise<void> { return call('set', this.#label, () => this.#store.set(key, value)); }

    delete(key: string): Promise<void> { return call('delete', this.#label, () => this.#store.delete(key)); }

    exists(key: string): Promise<boolean> { return call('exists', this.#label, () => this.#store.exists(key)); }

    getKeys(): Promise<string[]> { return call('get_keys', this.#label, () => this.#store.getKeys()); }

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
