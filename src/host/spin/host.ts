// The Spin host of one component instance (Spin's factors' per-instance part): the
// `fermyon:spin/*@2.0.0` key-value, sqlite and variables backed by wasmlet, the other interfaces
// of Spin's `platform` world as stubs (unsupported.ts), and the WASI proposals Spin serves from
// the same grants: `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` (the component's
// `key_value_stores`) and `wasi:config/store@0.2.0-draft-2024-09-27` (its variables). Built from
// plain data ({@link SpinHostOptions}) plus the thread's backend connections; building does no I/O.
// The key-value interfaces answer synchronously or through JSPI as the component was transpiled
// (host-io.ts).
import { createSpinKeyValue } from './key-value.ts';
import type { SpinHostOptions } from './options.ts';
import { createSpinSqlite } from './sqlite.ts';
import type { SpinThreadBackends } from './thread-backends.ts';
import { createUnsupportedSpinInterfaces } from './unsupported.ts';
import { createSpinVariables } from './variables.ts';
import { createWasiConfig } from './wasi-config.ts';
import { createWasiKeyValue } from './wasi-keyvalue.ts';
import { keyValueHostIo, type KeyValueHostIo } from './host-io.ts';
import { WasmletError } from '../../util/errors.ts';

/** Version of the `fermyon:spin` package these interfaces implement. */
export const SPIN_PACKAGE_VERSION = '2.0.0';

/** One instance's Spin imports and the way to release what the guest left open. */
export interface SpinHost {
  /** Interface objects keyed by unversioned specifier (`fermyon:spin/key-value`), as jco keys imports. */
  imports: Record<string, object>;
  /** Closes the store and connection handles the guest left open. Idempotent. */
  close(): void;
}

/**
 * Builds the Spin host of one instance. `keyValueIo` must match how the component was transpiled
 * (`spinJspiImports(keyValueIo)`); `'sync'` needs every granted store embedded (`keyValueHostIo`).
 * Default `'jspi'`, which serves every backend.
 * @throws WasmletError `WASMLET_ERR_INVALID_OPTIONS` for `'sync'` with a granted store on Redis.
 */
export function createSpinHost(options: SpinHostOptions, backends: SpinThreadBackends, keyValueIo: KeyValueHostIo = 'jspi'): SpinHost {
  if (keyValueIo === 'sync' && keyValueHostIo(options) !== 'sync') {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS',
      `component '${options.componentId}' has a key-value store that is not embedded, so its host calls cannot be synchronous; prepare it with keyValueIo: keyValueHostIo(options)`,
      { blame: 'host' });
  }
  const kv = createSpinKeyValue(options, backends, keyValueIo);
  const sqlite = createSpinSqlite(options, backends);
  const wasiKv = createWasiKeyValue(options, backends, keyValueIo);
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
