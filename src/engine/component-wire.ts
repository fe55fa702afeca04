// A component as structured-clone data, so a worker thread can run it without transpiling: the
// component bytes plus the transpile cache root. The worker's `prepareComponent` finds jco's
// output in the disk cache (no transpile) and compiles the core modules for its own thread, which
// also gives it its own linear-memory pools (those cannot cross threads).
import { dirname } from 'node:path';
import type { PreparedComponent } from './component/transpile.ts';
import { prepareComponentForRun } from './run-component.ts';

/** What a worker needs to rebuild a {@link PreparedComponent}. */
export interface ComponentWire {
  /** The component binary (copied to the worker). */
  bytes: Uint8Array;
  /** The cache root the component was transpiled into. */
  cacheDir: string;
  /** Memory cap to apply again in the worker, in bytes. */
  maxMemoryBytes?: number;
}

/** The wire form of a component already prepared (and so transpiled) on this thread. */
export function componentToWire(bytes: Uint8Array, prepared: PreparedComponent, maxMemoryBytes?: number): ComponentWire {
  return {
    bytes, cacheDir: dirname(dirname(prepared.dir)),
    ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
  };
}

/** Rebuilds the {@link PreparedComponent} in this thread from the disk cache. */
export function componentFromWire(wire: ComponentWire): Promise<PreparedComponent> {
  return prepareComponentForRun(wire.bytes, {
    cacheDir: wire.cacheDir,
    ...(wire.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: wire.maxMemoryBytes }),
  });
}
