// The memory cap for components: `memory.grow` past the cap fails inside the guest (-1). A core
// module whose memory was rewritten into a recycled-memory import (recycled-memory.ts) is capped
// by giving it memories whose maximum is the cap: an imported memory may have a lower maximum
// than the import declares, so the compiled module is shared, and capped instances keep memory
// recycling. Any other module that defines a memory is recompiled from the transpile cache with
// its maximum rewritten (limits.ts), as a core module would be. Memories a core module imports
// from another module are defined (and capped) in that other module.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectModule } from './binary.ts';
import { applyMemoryCap, memoryOverLimit, WASM_PAGE_BYTES, type MemoryLimitSubject } from './limits.ts';
import { findRecycledMemoryImport, MemoryPool } from './component/recycled-memory.ts';
import type { PreparedComponent } from './component/transpile.ts';

/**
 * Returns `prepared` with each core memory capped at `maxMemoryBytes` (rounded down to 64 KiB
 * pages): recycled memories through capped pools of their own (no recompile), other defined
 * memories by recompiling the module. The original stays usable, with its own pools.
 * @throws WasmletError `WASMLET_ERR_MEMORY_LIMIT` (blame user) when a core module's initial
 *   memory is already over the cap (naming `by`: who set it, default `--max-memory`);
 *   `WASMLET_ERR_INVALID_OPTIONS` for a malformed cap.
 */
export async function capComponentMemory(prepared: PreparedComponent, maxMemoryBytes: number, by: MemoryLimitSubject = {}): Promise<PreparedComponent> {
  const capPages = Math.floor(maxMemoryBytes / WASM_PAGE_BYTES);
  const coreBy = (name: string): MemoryLimitSubject => ({ ...by, subject: `${by.subject ?? 'the component'} (core module ${name})` });
  const coreModules = new Map(prepared.coreModules);
  // Pools are per maximum: a capped copy must never share the uncapped copy's memories.
  const memoryPools = new Map<WebAssembly.Module, MemoryPool | null>();
  await Promise.all([...prepared.coreModules].map(async ([name, module]) => {
    const recycled = findRecycledMemoryImport(module);
    if (recycled !== undefined) {
      if (recycled.initialPages > capPages) throw memoryOverLimit('the module', recycled.initialPages, maxMemoryBytes, coreBy(name));
      memoryPools.set(module, new MemoryPool(recycled.initialPages, recycled.maximumPages, undefined, capPages));
      return;
    }
    // Not recycled (jco's glue forbids it, or an unusual memory shape): cap the module itself.
    // The cache holds jco's original core modules.
    const bytes = new Uint8Array(await readFile(join(prepared.dir, name)));
    const capped = applyMemoryCap(bytes, inspectModule(bytes), maxMemoryBytes, coreBy(name));
    if (!capped.rewritten) return; // its maximum is already within the cap
    coreModules.set(name, await WebAssembly.compile(capped.bytes as Uint8Array<ArrayBuffer>));
  }));
  return { ...prepared, coreModules, memoryPools };
}
