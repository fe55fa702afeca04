// The memory cap, enforced the way Wasmtime's `StoreLimits` does: a `memory.grow` past the cap
// fails inside the guest (returns -1) and the host is unaffected. V8 has no resource-limiter hook,
// so the cap is written into the module itself: every defined memory gets `max <= cap` before
// compiling, and V8 then refuses growth past it exactly as the spec's `memory.grow` says.
import { WasmletError } from '../util/errors.ts';
import { uleb128 as uleb, type ImportEntry, type MemoryLimits, type ModuleInfo } from './binary.ts';

/** Bytes in one Wasm page (spec §4.2.8). */
export const WASM_PAGE_BYTES = 65536;
/** The most pages a 32-bit memory can have (4 GiB). */
const MAX_PAGES_32 = 65536;

/** What {@link applyMemoryCap} did. */
export interface MemoryCapResult {
  /** The module bytes to compile: `bytes` itself when nothing had to change. */
  bytes: Uint8Array;
  /** True when the memory section was rewritten. */
  rewritten: boolean;
  /** The cap in whole pages (`floor(maxMemoryBytes / 64 KiB)`). */
  capPages: number;
  /**
   * Imported memories: their limits cannot be rewritten (the importer supplies the memory), so
   * whoever creates that memory must give it `maximum <= capPages`.
   */
  importedMemories: ImportEntry[];
}

function limitsBytes(l: MemoryLimits): number[] {
  const flags = (l.max === undefined ? 0 : 1) | (l.shared ? 2 : 0) | (l.memory64 ? 4 : 0);
  return [flags, ...uleb(l.min), ...(l.max === undefined ? [] : uleb(l.max))];
}

/**
 * Who set a memory limit, for the error when a module's initial memory is over it: the caller
 * knows (the engine does not) whether the cap came from `wasmlet run --max-memory` or from a
 * manifest component's `limits.memory`.
 */
export interface MemoryLimitSubject {
  /** What the module is, prefixed to the error: `component 'api'`. Default: none. */
  subject?: string;
  /** The setting to raise: `limits.memory of [component.api]`. Default `--max-memory`. */
  setting?: string;
}

/**
 * The `WASMLET_ERR_MEMORY_LIMIT` error (blame user) for a memory whose initial size, `minPages`,
 * is over `maxMemoryBytes`. `what` names the memory within the module (`the module`, `memory 1`).
 */
export function memoryOverLimit(what: string, minPages: number, maxMemoryBytes: number, by: MemoryLimitSubject = {}): WasmletError {
  const setting = by.setting ?? '--max-memory';
  return new WasmletError('WASMLET_ERR_MEMORY_LIMIT',
    `${by.subject === undefined ? '' : `${by.subject}: `}${what} needs ${minPages} pages (${minPages * WASM_PAGE_BYTES} bytes) of initial memory, `
    + `more than the memory limit of ${maxMemoryBytes} bytes (${setting}); raise ${setting} or shrink the module's initial memory`,
    { blame: 'user' });
}

/**
 * Caps every memory the module defines at `maxMemoryBytes` (rounded down to whole 64 KiB pages):
 * a memory without a maximum gets one, a larger maximum is lowered, a smaller one is kept. The
 * memory section is re-encoded (LEB128) and its size fixed up; all other bytes are copied as is.
 * @param bytes the module, already checked by {@link inspectModule} (which gave `info`).
 * @param by who set the cap, for the error (see {@link MemoryLimitSubject}).
 * @throws WasmletError `WASMLET_ERR_MEMORY_LIMIT` (blame user) when a memory's initial size
 *   (defined or imported) already exceeds the cap: it could never run.
 */
export function applyMemoryCap(bytes: Uint8Array, info: ModuleInfo, maxMemoryBytes: number, by: MemoryLimitSubject = {}): MemoryCapResult {
  const capPages = Math.floor(maxMemoryBytes / WASM_PAGE_BYTES);
  const importedMemories = info.imports.filter((i) => i.kind === 'memory');
  for (const imp of importedMemories) {
    if (imp.memory!.min > capPages) throw memoryOverLimit(`imported memory ${imp.module}.${imp.name}`, imp.memory!.min, maxMemoryBytes, by);
  }
  let changed = false;
  const capped = info.memories.map((m, i): MemoryLimits => {
    if (m.min > capPages) throw memoryOverLimit(info.memories.length > 1 ? `memory ${i}` : 'the module', m.min, maxMemoryBytes, by);
    const ceiling = m.memory64 ? capPages : Math.min(capPages, MAX_PAGES_32);
    if (m.max !== undefined && m.max <= ceiling) return m;
    if (m.max === undefined && !m.memory64 && capPages >= MAX_PAGES_32) return m; // the 4 GiB ceiling already applies
    changed = true;
    return { ...m, max: ceiling };
  });
  if (!changed || !info.memorySection) return { bytes, rewritten: false, capPages, importedMemories };

  const payload = [...uleb(capped.length), ...capped.flatMap(limitsBytes)];
  const section = [5, ...uleb(payload.length), ...payload];
  const { start, end } = info.memorySection;
  const out = new Uint8Array(bytes.length - (end - start) + section.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(section, start);
  out.set(bytes.subarray(end), start + section.length);
  return { bytes: out, rewritten: true, capPages, importedMemories };
}
