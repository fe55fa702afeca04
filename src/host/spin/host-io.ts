// The one decision of how a component's key-value imports reach their backends: synchronous host
// calls when the backend is synchronous. The embedded SQLite backend (node:sqlite) completes every
// call before it returns, so routing it through JSPI (`WebAssembly.Suspending`) only adds cost:
// jco's async-import glue (a subtask, its waitable, a Promise and a stack switch per call) was
// about half of a guest's time per key-value call in bench/kv-guest.ts. A component whose granted
// stores are all embedded is therefore transpiled with these imports as plain (sync) imports and
// gets a host that returns values; one granted store on Redis (network I/O) keeps all of them on
// JSPI, where the guest suspends while the host awaits. The trigger decides once per component
// ({@link keyValueHostIo}), transpiles with {@link spinJspiImports} of that choice, and builds
// every instance's host with the same choice (the prepared component records it).
import type { SpinHostOptions } from './options.ts';

/** `'sync'`: the key-value imports return values; `'jspi'`: they return Promises the guest suspends on. */
export type KeyValueHostIo = 'sync' | 'jspi';

/**
 * `'sync'` when every key-value store `options` grants is on the embedded SQLite backend (or none
 * is granted: every `open` then fails before any I/O); `'jspi'` when one is on Redis.
 */
export function keyValueHostIo(options: SpinHostOptions): KeyValueHostIo {
  const specs = options.keyValueBackends ?? {};
  for (const label of options.keyValueStores ?? []) {
    const spec = Object.hasOwn(specs, label) ? specs[label] : undefined;
    if (spec !== undefined && spec.type !== 'spin') return 'jspi';
  }
  return 'sync';
}

/**
 * The key-value imports of `fermyon:spin/key-value@2.0.0` and `wasi:keyvalue/*@0.2.0-draft2` as
 * jco's `asyncImports` selectors (`interface#function`, unversioned): JSPI under `'jspi'`.
 */
export const KEY_VALUE_JSPI_IMPORTS: readonly string[] = [
  ...['[static]store.open', ...['get', 'set', 'delete', 'exists', 'get-keys'].map((m) => `[method]store.${m}`)].map((f) => `fermyon:spin/key-value#${f}`),
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

/** `fermyon:spin/sqlite@2.0.0` imports, always JSPI (the host's `execute` returns a Promise). */
const SQLITE_JSPI_IMPORTS: readonly string[] = ['fermyon:spin/sqlite#[static]connection.open', 'fermyon:spin/sqlite#[method]connection.execute'];

/** The Spin host's imports that run through JSPI when the key-value ones are `io`. */
export function spinJspiImports(io: KeyValueHostIo): string[] {
  return io === 'jspi' ? [...KEY_VALUE_JSPI_IMPORTS, ...SQLITE_JSPI_IMPORTS] : [...SQLITE_JSPI_IMPORTS];
}

/**
 * `value` handed to `next` now, or once it settles when it is a Promise: a step of host code that
 * runs synchronously on a synchronous backend and asynchronously on an asynchronous one.
 */
export function then<T, R>(value: T | Promise<T>, next: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * A call's result with its failure mapped to the guest's error: a throw now is rethrown as
 * `guestError(err)`; a Promise is returned with its rejection mapped the same way.
 */
export function guestResult<T>(call: () => T | Promise<T>, guestError: (err: unknown) => Error): T | Promise<T> {
  let out: T | Promise<T>;
  try {
    out = call();
  } catch (err) {
    throw guestError(err);
  }
  return out instanceof Promise ? out.catch((err: unknown) => { throw guestError(err); }) : out;
}
