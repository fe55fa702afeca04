// The memory cap for components: every core module jco split the component into is capped like a
// core module (limits.ts rewrites each defined memory's maximum), so `memory.grow` past the cap
// fails inside the guest. Memories a core module imports are defined (and capped) in another.
// A capped module defines its memory itself, so it does not take part in memory recycling.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectModule } from './binary.ts';
import { applyMemoryCap } from './limits.ts';
import type { PreparedComponent } from './component/transpile.ts';

/**
 * Returns `prepared` with each core module recompiled from the transpile cache with its memories
 * capped at `maxMemoryBytes` (rounded down to 64 KiB pages). The original stays usable.
 * @throws WasmletError `WASMLET_ERR_MEMORY_LIMIT` (blame user) when a core module's initial
 *   memory is already over the cap; `WASMLET_ERR_INVALID_OPTIONS` for a malformed cap.
 */
export async function capComponentMemory(prepared: PreparedComponent, maxMemoryBytes: number): Promise<PreparedComponent> {
  const coreModules = new Map(prepared.coreModules);
  const memoryPools = new Map(prepared.memoryPools);
  await Promise.all([...prepared.coreModules.keys()].map(async (name) => {
    // The cache holds jco's original core modules (before any memory recycling rewrite).
    const bytes = new Uint8Array(await readFile(join(prepared.dir, name)));
    const capped = applyMemoryCap(bytes, inspectModule(bytes), maxMemoryBytes);
    if (!capped.rewritten) return; // its maximum is already within the cap
    coreModules.set(name, await WebAssembly.compile(capped.bytes as Uint8Array<ArrayBuffer>));
    memoryPools.delete(name); // the capped module defines its own memory again
  }));
  return { ...prepared, coreModules, memoryPools };
}
