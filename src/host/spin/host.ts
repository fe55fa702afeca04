// The Spin host of one component instance (Spin's factors' per-instance part): the
// `fermyon:spin/*@2.0.0` key-value, sqlite and variables backed by wasmlet, the other interfaces
// of Spin's `platform` world as stubs (unsupported.ts), and the WASI proposals Spin serves from
// the same grants: `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` (the component's
// `key_value_stores`) and `wasi:config/store@0.2.0-draft-2024-09-27` (its variables). Built from
// plain data ({@link SpinHostOptions}) plus the thread's backend connections; building does no I/O.
import { createSpinKeyValue } from './key-value.ts';
import type { SpinHostOptions } from './options.ts';
import { createSpinSqlite } from './sqlite.ts';
import type { SpinThreadBackends } from './thread-backends.ts';
import type { HostCallTracer } from '../../util/trace-context.ts';
import { createUnsupportedSpinInterfaces } from './unsupported.ts';
import { createSpinVariables } from './variables.ts';
import { createWasiConfig } from './wasi-config.ts';
import { createWasiKeyValue, WASI_KEYVALUE_JSPI_IMPORTS } from './wasi-keyvalue.ts';

/** Version of the `fermyon:spin` package these interfaces implement. */
export const SPIN_PACKAGE_VERSION = '2.0.0';

/** One instance's Spin imports and the way to release what the guest left open. */
export interface SpinHost {
  /** Interface objects keyed by unversioned specifier (`fermyon:spin/key-value`), as jco keys imports. */
  imports: Record<string, object>;
  /** Closes the store and connection handles the guest left open. Idempotent. */
  close(): void;
}

/** Builds the Spin host of one instance; with `tracer`, each key-value (Spin's and `wasi:keyvalue`) and SQLite call is a span. */
export function createSpinHost(options: SpinHostOptions, backends: SpinThreadBackends, tracer?: HostCallTracer): SpinHost {
  const kv = createSpinKeyValue(options, backends, tracer);
  const sqlite = createSpinSqlite(options, backends, tracer);
  const wasiKv = createWasiKeyValue(options, backends, tracer);
  const variables = options.variables ?? {};
  return {
    imports: {
      ...createUnsupportedSpinInterfaces(),
      'fermyon:spin/key-value': kv.imports,
      'fermyon:spin/sqlite': sqlite.imports,
      'fermyon:spin/variables': createSpinVariables(options.componentId, variables),
      ...wasiKv.imports,
      'wasi:config/store': createWasiConfig(variables),
    },
    close() {
      kv.close();
      sqlite.close();
      wasiKv.close();
    },
  };
}

/**
 * The imports of this host that may wait on host I/O, as jco's `asyncImports` selectors
 * (`interface#function`, unversioned): the guest suspends on them through JSPI.
 */
export const SPIN_JSPI_IMPORTS: readonly string[] = [
  'fermyon:spin/key-value#[static]store.open',
  'fermyon:spin/key-value#[method]store.get',
  'fermyon:spin/key-value#[method]store.set',
  'fermyon:spin/key-value#[method]store.delete',
  'fermyon:spin/key-value#[method]store.exists',
  'fermyon:spin/key-value#[method]store.get-keys',
  'fermyon:spin/sqlite#[static]connection.open',
  'fermyon:spin/sqlite#[method]connection.execute',
  ...WASI_KEYVALUE_JSPI_IMPORTS,
];
