// The stores one component instance may open, shared by its two key-value interfaces
// (`fermyon:spin/key-value@2.0.0` and `wasi:keyvalue/store@0.2.0-draft2`): a label is opened
// only when granted (`key_value_stores`), on the calling thread's backend for it, and every
// handle still open when the instance retires is closed. Grants as spinframework/spin
// `crates/factor-key-value/src/host.rs` (`open`: a label outside `allowed_stores` is
// `access-denied`), with one refinement the WIT allows: a label the app knows nowhere (no backend,
// no component names it) is `no-such-store`, so a typo reads as one.
import { KeyValueError, isKeyValueError, kvOther } from '../kv/kv-error.ts';
import type { KeyValueStore } from '../kv/store.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';

/** One instance's view of its granted stores. */
export interface GrantedStores {
  /**
   * Opens `label` (tracked until {@link release} or {@link close}). Rejects with a
   * `KeyValueError`: `access-denied` (known, not granted), `no-such-store` (unknown), `other`
   * (the backend cannot be reached or opened).
   */
  open(label: string): Promise<KeyValueStore>;
  /** Closes one handle the guest dropped. */
  release(store: KeyValueStore): void;
  /** Closes every handle still open (the instance retires). Idempotent. */
  close(): void;
}

/** Backend failures that are not `KeyValueError`s still reach the guest as `other`, never a trap. */
export function kvGuestError(err: unknown): KeyValueError {
  return isKeyValueError(err) ? err : kvOther(err instanceof Error ? err.message : String(err), err);
}

/** Builds the granted stores of one instance from its plain grants; does no I/O. */
export function createGrantedStores(options: SpinHostOptions, backends: SpinThreadBackends): GrantedStores {
  const granted = new Set(options.keyValueStores ?? []);
  const known = new Set(options.knownKeyValueStores ?? []);
  const specs = options.keyValueBackends ?? {};
  const open = new Set<KeyValueStore>();
  return {
    async open(label) {
      if (!granted.has(label)) throw new KeyValueError({ tag: known.has(label) ? 'access-denied' : 'no-such-store' });
      const spec = Object.hasOwn(specs, label) ? specs[label] : undefined;
      if (spec === undefined) throw new KeyValueError({ tag: 'no-such-store' });
      try {
        const store = await (await backends.keyValue(spec)).open(label);
        open.add(store);
        return store;
      } catch (err) {
        throw kvGuestError(err);
      }
    },
    release(store) {
      open.delete(store);
      store.close().catch(() => {});
    },
    close() {
      for (const store of open) store.close().catch(() => {});
      open.clear();
    },
  };
}
