// The stores one component instance may open, shared by its two key-value interfaces
// (`fermyon:spin/key-value@2.0.0` and `wasi:keyvalue/store@0.2.0-draft2`): a label is opened
// only when granted (`key_value_stores`), on the calling thread's backend for it, and every
// handle still open when the instance retires is closed. Grants as spinframework/spin
// `crates/factor-key-value/src/host.rs` (`open`: a label outside `allowed_stores` is
// `access-denied`), with one refinement the WIT allows: a label the app knows nowhere (no backend,
// no component names it) is `no-such-store`, so a typo reads as one. Under `'sync'` host I/O
// (host-io.ts) a store opens, and answers, before the call returns.
import { KeyValueError, isKeyValueError, kvOther } from '../kv/kv-error.ts';
import type { KeyValueStore, KeyValueStoreSync } from '../kv/store.ts';
import type { KeyValueHostIo } from './host-io.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';

/** A store handle as the host's interfaces hold it: synchronous under `'sync'` host I/O. */
export type GrantedStore = KeyValueStore | KeyValueStoreSync;

/** One instance's view of its granted stores. */
export interface GrantedStores {
  /**
   * Opens `label` (tracked until {@link release} or {@link close}): a synchronous store, returned
   * (or thrown) before the call returns, under `'sync'` host I/O, else a Promise. Fails with a
   * `KeyValueError`: `access-denied` (known, not granted), `no-such-store` (unknown), `other`
   * (the backend cannot be reached or opened).
   */
  open(label: string): KeyValueStoreSync | Promise<KeyValueStore>;
  /** Closes one handle the guest dropped. */
  release(store: GrantedStore): void;
  /** Closes every handle still open (the instance retires). Idempotent. */
  close(): void;
}

/** Backend failures that are not `KeyValueError`s still reach the guest as `other`, never a trap. */
export function kvGuestError(err: unknown): KeyValueError {
  return isKeyValueError(err) ? err : kvOther(err instanceof Error ? err.message : String(err), err);
}

/** Closes a handle; a failure to close is nobody's to report (the guest is done with it). */
function closeQuietly(store: GrantedStore): void {
  try {
    void store.close()?.catch(() => {});
  } catch { /* a synchronous store's close does not throw; nothing to report either way */ }
}

/**
 * Builds the granted stores of one instance from its plain grants; does no I/O. `io` must be
 * `'jspi'` when a granted store is not embedded (`keyValueHostIo` decides).
 */
export function createGrantedStores(options: SpinHostOptions, backends: SpinThreadBackends, io: KeyValueHostIo): GrantedStores {
  const granted = new Set(options.keyValueStores ?? []);
  const known = new Set(options.knownKeyValueStores ?? []);
  const specs = options.keyValueBackends ?? {};
  const open = new Set<GrantedStore>();
  const specOf = (label: string) => {
    if (!granted.has(label)) throw new KeyValueError({ tag: known.has(label) ? 'access-denied' : 'no-such-store' });
    const spec = Object.hasOwn(specs, label) ? specs[label] : undefined;
    if (spec === undefined) throw new KeyValueError({ tag: 'no-such-store' });
    return spec;
  };
  const track = <S extends GrantedStore>(store: S): S => {
    open.add(store);
    return store;
  };
  return {
    open(label) {
      if (io === 'sync') {
        const spec = specOf(label);
        try {
          return track(backends.keyValueSync(spec).openSync(label));
        } catch (err) {
          throw kvGuestError(err);
        }
      }
      // Under JSPI every failure is a rejection, never a throw, as the guest's glue awaits it.
      return Promise.resolve(label).then(specOf)
        .then((spec) => backends.keyValue(spec).then((b) => b.open(label)).then(track, (err: unknown) => { throw kvGuestError(err); }));
    },
    release(store) {
      open.delete(store);
      closeQuietly(store);
    },
    close() {
      for (const store of open) closeQuietly(store);
      open.clear();
    },
  };
}
