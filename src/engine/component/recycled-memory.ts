// Linear-memory recycling for fresh-instance-per-request components (the idea of Wasmtime's
// pooling allocator, done with what V8 exposes). Creating a core instance whose module defines a
// large memory costs a fresh mmap, a page fault per 4 KiB page its data segments touch, and an
// munmap when the old instance is collected: for a componentize-js guest (161 pages, 5 MB of
// data in 10 000 segments) that is most of the instantiation CPU. So a core module that defines
// its memory is rewritten once, at prepare time, to import it instead, and each instance gets a
// `WebAssembly.Memory` from a small per-module pool. A memory goes back to the pool only after its
// instance can never run again, only if it did not grow, and only after every byte is zeroed:
// the next instance then starts from exactly the state a fresh memory has (all zero, same size,
// same maximum) before V8 applies the module's data segments, so no byte of one request reaches
// another.
import { uleb128 } from '../binary.ts';

/** Import module name the rewritten core modules use for their memory (no jco name has a `#`). */
export const RECYCLED_MEMORY_MODULE = 'wasmlet#recycled';
/**
 * Import field name of the memory: `memory/<initial pages>/<maximum pages or empty>`. The limits
 * travel in the name so a compiled module is self-describing (a worker thread that receives it by
 * postMessage can build its own pool without any side data).
 */
export function recycledMemoryField(initialPages: number, maximumPages: number | undefined): string {
  return `memory/${initialPages}/${maximumPages ?? ''}`;
}

/** The recycled-memory import of a compiled module, if it was rewritten by {@link rewriteMemoryAsImport}. */
export function findRecycledMemoryImport(module: WebAssembly.Module): { field: string; initialPages: number; maximumPages: number | undefined } | undefined {
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== RECYCLED_MEMORY_MODULE || imp.kind !== 'memory') continue;
    const m = /^memory\/(\d+)\/(\d*)$/.exec(imp.name);
    if (m === null) return undefined;
    return { field: imp.name, initialPages: Number(m[1]), maximumPages: m[2] === '' ? undefined : Number(m[2]) };
  }
  return undefined;
}

const PAGE_BYTES = 65536;
/** Memories a pool keeps by default (RSS kept warm: this many x the initial size). */
export const DEFAULT_POOL_CAPACITY = 4;

/** Result of {@link rewriteMemoryAsImport}. */
export interface MemoryImportRewrite {
  /** The module with its memory section replaced by an import from `RECYCLED_MEMORY_MODULE`. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Declared minimum, in 64 KiB pages. */
  initialPages: number;
  /** Declared maximum, in 64 KiB pages, if any. */
  maximumPages: number | undefined;
}

function readU32(b: Uint8Array, p: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (p >= b.length || shift > 28) throw new RangeError('bad LEB128');
    const byte = b[p++]!;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, p];
    shift += 7;
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb128(bytes.length), ...bytes];
}

/**
 * Rewrites a core module that defines exactly one plain 32-bit memory (not shared, not imported)
 * so that it imports that memory instead, with the same limits. Memory index 0 stays index 0, so
 * no instruction changes. Returns `undefined` (leave the module alone) for any other shape.
 */
export function rewriteMemoryAsImport(bytes: Uint8Array): MemoryImportRewrite | undefined {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[4] !== 1) return undefined;
  const sections: { id: number; start: number; end: number; bodyStart: number }[] = [];
  for (let p = 8; p < bytes.length;) {
    const id = bytes[p]!;
    const [size, body] = readU32(bytes, p + 1);
    if (body + size > bytes.length) return undefined;
    sections.push({ id, start: p, end: body + size, bodyStart: body });
    p = body + size;
  }
  const memory = sections.filter((s) => s.id === 5);
  if (memory.length !== 1) return undefined;
  const mem = memory[0]!;
  const [count, limitsAt] = readU32(bytes, mem.bodyStart);
  if (count !== 1) return undefined;
  const flags = bytes[limitsAt]!;
  if (flags !== 0 && flags !== 1) return undefined; // shared or memory64: leave alone
  const [initialPages, afterMin] = readU32(bytes, limitsAt + 1);
  const [maximumPages, limitsEnd] = flags === 1 ? readU32(bytes, afterMin) : [undefined, afterMin];
  if (limitsEnd !== mem.end) return undefined;
  const limits = [...bytes.subarray(limitsAt, limitsEnd)];
  const entry = [...name(RECYCLED_MEMORY_MODULE), ...name(recycledMemoryField(initialPages, maximumPages)), 0x02, ...limits];
  const importSection = sections.find((s) => s.id === 2);
  if (importSection !== undefined) {
    // A module that already imports a memory would get a second one: leave it alone.
    const [n, first] = readU32(bytes, importSection.bodyStart);
    let p = first;
    for (let i = 0; i < n; i++) {
      const [ml, m] = readU32(bytes, p); p = m + ml;
      const [fl, f] = readU32(bytes, p); p = f + fl;
      const kind = bytes[p++]!;
      if (kind === 2) return undefined;
      if (kind === 0) p = readU32(bytes, p)[1];
      else if (kind === 1) { p++; const tf = bytes[p++]!; p = readU32(bytes, p)[1]; if (tf & 1) p = readU32(bytes, p)[1]; }
      else if (kind === 3) p += 2;
      else if (kind === 4) p = readU32(bytes, p + 1)[1];
      else return undefined;
    }
  }
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  const pushSection = (id: number, body: Uint8Array) => {
    parts.push(new Uint8Array([id, ...uleb128(body.length)]), body);
  };
  let inserted = false;
  for (const s of sections) {
    if (s.id === 5) continue;
    if (s.id === 2) {
      const [n, first] = readU32(bytes, s.bodyStart);
      pushSection(2, concat([new Uint8Array(uleb128(n + 1)), bytes.subarray(first, s.end), new Uint8Array(entry)]));
      inserted = true;
      continue;
    }
    if (!inserted && s.id !== 0 && s.id !== 1) {
      pushSection(2, new Uint8Array([...uleb128(1), ...entry]));
      inserted = true;
    }
    parts.push(bytes.subarray(s.start, s.end));
  }
  if (!inserted) pushSection(2, new Uint8Array([...uleb128(1), ...entry]));
  return { bytes: concat(parts), initialPages, maximumPages };
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** Counters of a {@link MemoryPool}, for tests and benchmarks. */
export interface MemoryPoolStats {
  /** Memories created with `new WebAssembly.Memory`. */
  created: number;
  /** Acquisitions served by a recycled (zeroed) memory. */
  reused: number;
  /** Released memories dropped (grown, or the pool was full). */
  dropped: number;
}

/**
 * A per-core-module pool of zeroed memories of one shape. `acquire` returns a memory that is
 * indistinguishable from a new one; `release` takes a memory back once its instance is retired.
 * Holds at most `capacity` memories (`capacity` x initial size bytes of RSS kept warm).
 */
export class MemoryPool {
  #initialPages: number;
  /** Maximum of the memories this pool creates: the declared maximum, lowered to the cap. */
  #maximumPages: number | undefined;
  #capacity: number;
  #free: WebAssembly.Memory[] = [];
  #stats: MemoryPoolStats = { created: 0, reused: 0, dropped: 0 };

  /** The import field name modules with this memory shape use (see {@link recycledMemoryField}). */
  readonly field: string;

  /**
   * @param initialPages, maximumPages the module's declared limits (they name the import field).
   * @param capacity memories kept for reuse.
   * @param capPages a memory limit, in pages: created memories get `maximum = min(maximumPages,
   *   capPages)`, so `memory.grow` past it fails inside the guest (-1), as a capped module's own
   *   memory would. An imported memory may have a lower maximum than the import declares, so the
   *   module needs no rewrite (nor recompile) for the cap. Must be `>= initialPages`.
   */
  constructor(initialPages: number, maximumPages: number | undefined, capacity = DEFAULT_POOL_CAPACITY, capPages?: number) {
    this.field = recycledMemoryField(initialPages, maximumPages);
    this.#initialPages = initialPages;
    this.#maximumPages = capPages === undefined ? maximumPages : Math.min(capPages, maximumPages ?? capPages);
    this.#capacity = capacity;
  }

  /** The maximum (pages) of the memories this pool hands out; `undefined`: none. */
  get maximumPages(): number | undefined {
    return this.#maximumPages;
  }

  /** A zeroed memory of the declared initial size and maximum. */
  acquire(): WebAssembly.Memory {
    const reused = this.#free.pop();
    if (reused !== undefined) {
      this.#stats.reused++;
      return reused;
    }
    this.#stats.created++;
    return new WebAssembly.Memory(this.#maximumPages === undefined
      ? { initial: this.#initialPages }
      : { initial: this.#initialPages, maximum: this.#maximumPages });
  }

  /**
   * Takes back a memory whose instance will never run again. A memory that grew is dropped (a
   * fresh instance must see the declared initial size); otherwise it is zeroed now, before it can
   * be handed out again.
   */
  release(memory: WebAssembly.Memory): void {
    if (memory.buffer.byteLength !== this.#initialPages * PAGE_BYTES || this.#free.length >= this.#capacity) {
      this.#stats.dropped++;
      return;
    }
    new Uint8Array(memory.buffer).fill(0);
    this.#free.push(memory);
  }

  /** Counters since creation. */
  stats(): MemoryPoolStats {
    return { ...this.#stats };
  }
}
