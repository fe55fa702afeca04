// The per-component unit every component trigger registers with its worker pool (wasi:http routes,
// Redis channels, cron schedules): the component prepared once on the main thread (transpiled into
// the disk cache, imports checked), in wire form, with the grants its instances get, as plain data.
import type { LockedApp, LockedComponent } from '../app/locked-app.ts';
import { defaultCacheDir } from '../util/cache-dir.ts';
import type { KeyValueBackendSpec, PreopenSpec, SpinHostOptions } from '../engine/grants.ts';
import type { MemoryLimitSubject } from '../engine/limits.ts';
import { componentToWire, type ComponentWire } from '../engine/component-wire.ts';
import { prepareComponentForRun } from '../engine/run-component.ts';
import type { PreparedComponent } from '../engine/component/transpile.ts';
import { unprovidedImports } from '../engine/component/provided-imports.ts';
import { WasmletError } from '../util/errors.ts';
import type { AllowedHost } from '../engine/grants.ts';

/** A component trigger's per-unit data (structured clone). */
export interface ComponentUnitConfig {
  component: ComponentWire;
  /** `environment` of the component. */
  env: Record<string, string>;
  /** Read-only preopens for the component's `files`. */
  preopens: PreopenSpec[];
  /** `allowed_outbound_hosts`, as the locked app carries it (parsed at load; never re-parsed). */
  allowedOutboundHosts: AllowedHost[];
  /** The component's `fermyon:spin` grants: variables, store and database labels, their backends. */
  spin: SpinHostOptions;
}

/** A memory-limit error at serve names the component and its manifest key, not `run`'s flag. */
export function memoryLimitOf(component: LockedComponent): MemoryLimitSubject {
  return { subject: `component '${component.id}'`, setting: `limits.memory of [component.${component.id}]` };
}

/**
 * Prepares a component once on this thread (transpile into the disk cache unless it is there,
 * check its imports, then `check` its exports for the trigger) and returns the unit config its
 * workers load it from. `preparedOnce` shares the preparation between triggers of one binary.
 * @throws WasmletError `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED` (blame user) naming imports
 *   wasmlet does not serve; whatever `check` throws; preparation errors (`prepareComponentForRun`).
 */
export async function componentUnit(app: LockedApp, component: LockedComponent, bytes: Uint8Array, preopens: PreopenSpec[],
  preparedOnce: Map<string, Promise<PreparedComponent>>,
  check: (component: LockedComponent, prepared: PreparedComponent) => void): Promise<ComponentUnitConfig> {
  const cacheDir = app.cacheDir ?? defaultCacheDir(app.dir);
  const maxMemoryBytes = component.limits.memoryBytes;
  // Components sharing a binary (by digest when the loader resolved it) and memory cap are prepared once.
  const key = `${component.binary?.sha256 ?? component.source}\0${maxMemoryBytes ?? ''}`;
  let preparing = preparedOnce.get(key);
  if (preparing === undefined) {
    preparing = prepareComponentForRun(bytes, {
      cacheDir, memoryLimitBy: memoryLimitOf(component), ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
    });
    preparedOnce.set(key, preparing);
  }
  const prepared = await preparing;
  const missing = unprovidedImports(prepared.imports);
  if (missing.length > 0) {
    throw new WasmletError('WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED',
      `component '${component.id}' imports ${missing.join(', ')}, which wasmlet does not provide; build it for the wasi:http/proxy `
      + 'world (WASI 0.2: wasi:cli, io, clocks, random, filesystem, sockets, http) or Spin 2 host interfaces (fermyon:spin/*@2.0.0, '
      + 'wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2, wasi:config/store@0.2.0-draft-2024-09-27), '
      + 'or remove the dependency on those imports',
      { blame: 'user' });
  }
  check(component, prepared);
  return {
    component: componentToWire(bytes, prepared, maxMemoryBytes),
    env: { ...component.environment },
    preopens,
    allowedOutboundHosts: component.allowedOutboundHosts, // parsed at load: plain data, cloned to the workers
    spin: spinHostOptions(app, component),
  };
}

/**
 * A component's `fermyon:spin` grants as plain data: its resolved variables, its labels, every
 * label the app knows (an ungranted known label is `access-denied`, an unknown one
 * `no-such-store`), and the backends of its labels in the engine's spec shapes.
 */
export function spinHostOptions(app: LockedApp, component: LockedComponent): SpinHostOptions {
  const all = Object.values(app.components);
  const kvBackends: Record<string, KeyValueBackendSpec> = {};
  for (const label of component.keyValueStores) {
    const b = app.backends.keyValueStores[label];
    if (b !== undefined) kvBackends[label] = b.type === 'sqlite' ? { type: 'spin', path: b.path } : { type: 'redis', url: b.url };
  }
  const sqliteBackends: Record<string, { path: string; allowAttachFile?: boolean }> = {};
  for (const label of component.sqliteDatabases) {
    const b = app.backends.sqliteDatabases[label];
    if (b !== undefined) sqliteBackends[label] = { path: b.path, ...(b.allowAttachFile ? { allowAttachFile: true } : {}) };
  }
  return {
    componentId: component.id,
    variables: { ...component.variables },
    keyValueStores: [...component.keyValueStores],
    sqliteDatabases: [...component.sqliteDatabases],
    knownKeyValueStores: [...new Set([...Object.keys(app.backends.keyValueStores), ...all.flatMap((c) => c.keyValueStores)])],
    knownSqliteDatabases: [...new Set([...Object.keys(app.backends.sqliteDatabases), ...all.flatMap((c) => c.sqliteDatabases)])],
    keyValueBackends: kvBackends,
    sqliteBackends,
  };
}
