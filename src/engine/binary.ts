// Reads the parts of a Wasm binary the engine needs (kind, imports, memories, signatures, names)
// without compiling it. Spec: WebAssembly Core Specification 2.0, §5 "Binary Format"; the
// component preamble is from the Component Model's Binary.md.
import { WasmletError } from '../util/errors.ts';

/** What a byte string is, judged from its 8-byte preamble. */
export type WasmKind = 'module' | 'component';

/** The value types a function signature can use (spec §5.3.1). Reference types are named by kind. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref' | 'ref';

/** A function type (spec §5.3.6). */
export interface FuncType { params: ValType[]; results: ValType[] }

/**
 * Limits of a memory type (spec §5.3.7/§5.3.8), in 64 KiB pages. `max` is absent when the module
 * declares none. `memory64` is the memory64 proposal's flag (bit 2); `shared` is the threads flag (bit 1).
 */
export interface MemoryLimits { min: number; max?: number; memory64: boolean; shared: boolean }

/** The kind of an import or export (spec §5.5.5 / §5.5.10; `tag` is the exception-handling proposal's). */
export type ExternKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

/** One entry of the import section. `memory` is set for memory imports, `typeIndex` for functions. */
export interface ImportEntry { module: string; name: string; kind: ExternKind; memory?: MemoryLimits; typeIndex?: number }

/** One entry of the export section. `index` is in the index space of its kind. */
export interface ExportEntry { name: string; kind: ExternKind; index: number }

/** A section's position: `start` is its id byte, `payloadStart` its contents, `end` one past its last byte. */
export interface SectionSpan { id: number; start: number; payloadStart: number; end: number }

/** What {@link inspectModule} learns about a core module. */
export interface ModuleInfo {
  kind: 'module';
  imports: ImportEntry[];
  /** Memories the module defines itself (memory section), in index order after imported ones. */
  memories: MemoryLimits[];
  /** Where the memory section is, when there is one (for {@link applyMemoryCap}'s rewrite). */
  memorySection?: SectionSpan;
  exports: ExportEntry[];
  /** Function types; empty if the type section uses encodings this reader does not decode (GC rec groups). */
  types: FuncType[];
  /** Type index of every function, imported ones first (the function index space). */
  funcTypes: number[];
  /** Function names from the `name` custom section (function index -> name); empty when absent. */
  functionNames: Map<number, string>;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const KINDS: readonly ExternKind[] = ['function', 'table', 'memory', 'global', 'tag'];
const utf8 = new TextDecoder();

/** `offset` as `0x…`, the way byte offsets appear in wasmlet's error messages. */
export function hex(offset: number): string { return `0x${offset.toString(16)}`; }

function truncated(offset: number, what: string): WasmletError {
  return new WasmletError('WASMLET_ERR_TRUNCATED',
    `the Wasm binary is truncated: it ends at byte offset ${hex(offset)} in the middle of ${what}; the file is incomplete (re-download or rebuild it)`,
    { blame: 'guest' });
}

/** The `WASMLET_ERR_INVALID_WASM` error (blame guest) for a malformed binary at byte `offset`. */
export function malformed(offset: number, what: string): WasmletError {
  return new WasmletError('WASMLET_ERR_INVALID_WASM', `invalid Wasm binary at byte offset ${hex(offset)}: ${what}`,
    { blame: 'guest' });
}

/**
 * Classifies `bytes` by its preamble: `\0asm` then version 1, layer 0 (a core module) or version
 * 0x0d, layer 1 (a component).
 * @throws WasmletError `WASMLET_ERR_NOT_WASM` (not a Wasm binary), `WASMLET_ERR_TRUNCATED` (a
 *   prefix of the preamble), `WASMLET_ERR_INVALID_WASM` (an unknown version).
 */
export function detectWasmKind(bytes: Uint8Array): WasmKind {
  const n = Math.min(bytes.length, 4);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new WasmletError('WASMLET_ERR_NOT_WASM',
        'not a WebAssembly binary: it does not start with the magic bytes \\0asm (is it a .wat text file or another format?)',
        { blame: 'user' });
    }
  }
  if (bytes.length === 0) {
    throw new WasmletError('WASMLET_ERR_NOT_WASM', 'not a WebAssembly binary: the file is empty', { blame: 'user' });
  }
  if (bytes.length < 8) throw truncated(bytes.length, 'the 8-byte preamble');
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (version === 1 && layer === 0) return 'module';
  if (layer === 1) {
    if (version === 0x0d) return 'component';
    throw malformed(4, `component binary version ${hex(version)} is not supported (expected 0xd)`);
  }
  throw malformed(4, `unsupported binary version ${version} (expected 1)`);
}

/**
 * A cursor over a byte range of a Wasm binary; every read checks bounds and reports truncation
 * (`WASMLET_ERR_TRUNCATED`) or an over-long LEB128 (`WASMLET_ERR_INVALID_WASM`) with the offset.
 * `what` names the thing being read, for the error message.
 */
export class WasmReader {
  pos: number;
  readonly #bytes: Uint8Array;
  readonly end: number;

  constructor(bytes: Uint8Array, pos: number, end: number) {
    this.#bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  /** The bytes this reader reads from (the whole binary, not only `[pos, end)`). */
  get bytes(): Uint8Array { return this.#bytes; }

  byte(what: string): number {
    if (this.pos >= this.end) throw truncated(this.pos, what);
    return this.#bytes[this.pos++]!;
  }

  /** The next byte, without consuming it. */
  peek(what: string): number {
    if (this.pos >= this.end) throw truncated(this.pos, what);
    return this.#bytes[this.pos]!;
  }

  /** Skips one LEB128 number (signed or unsigned) of at most `maxBytes` bytes (5: 32/33 bits, 10: 64 bits). */
  skipLeb(what: string, maxBytes: number): void {
    const start = this.pos;
    for (let i = 0; ; i++) {
      if (i >= maxBytes) throw malformed(start, `${what}: integer representation too long`);
      if ((this.byte(what) & 0x80) === 0) return;
    }
  }

  /** Unsigned LEB128 (spec §5.2.2) of at most `bits` bits, as a number (exact up to 2^53). */
  uleb(what: string, bits = 32): number {
    let result = 0;
    let scale = 1;
    const start = this.pos;
    for (let i = 0; ; i++) {
      if (i * 7 >= bits) throw malformed(start, `${what}: integer representation too long`);
      const b = this.byte(what);
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }

  /** Signed LEB128 of at most 33 bits (heap types); only the sign is needed by callers. */
  sleb(what: string): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte(what);
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    return shift < 32 && b & 0x40 ? result | (-1 << shift) : result;
  }

  name(what: string): string {
    const len = this.uleb(what);
    if (this.pos + len > this.end) throw truncated(this.end, what);
    const s = utf8.decode(this.#bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  skip(n: number, what: string): void {
    if (this.pos + n > this.end) throw truncated(this.end, what);
    this.pos += n;
  }
}

/** Unsigned LEB128 encoding of `value` (spec §5.2.2), a non-negative integer up to 2^53. */
export function uleb128(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

const VALTYPES: Record<number, ValType> = {
  0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref',
};

/** A value type; returns undefined for encodings this reader does not know (it then stops decoding types). */
function readValType(r: WasmReader): ValType | undefined {
  const b = r.byte('a value type');
  const t = VALTYPES[b];
  if (t) return t;
  if (b === 0x63 || b === 0x64) { r.sleb('a heap type'); return 'ref'; }
  if (b >= 0x69 && b <= 0x74) return 'ref'; // abbreviated reference types (GC / EH proposals)
  return undefined;
}

/** Limits (spec §5.3.7), with the memory64 (bit 2) and threads (bit 1) flags. */
function readLimits(r: WasmReader): MemoryLimits {
  const at = r.pos;
  const flags = r.byte('memory limits');
  if (flags > 0x07) throw malformed(at, `unknown memory limits flags ${hex(flags)}`);
  const memory64 = (flags & 0x04) !== 0;
  const bits = memory64 ? 64 : 32;
  const min = r.uleb('memory limits', bits);
  const limits: MemoryLimits = { min, memory64, shared: (flags & 0x02) !== 0 };
  if (flags & 0x01) limits.max = r.uleb('memory limits', bits);
  return limits;
}

/**
 * Reads a core module's imports, memories, exports, function signatures and function names.
 * Only the sections it needs are decoded; code is not validated (V8 does that when compiling).
 * @throws WasmletError as {@link detectWasmKind}, plus `WASMLET_ERR_COMPONENT_UNSUPPORTED` when
 *   `bytes` is a component, `WASMLET_ERR_TRUNCATED` when a section runs past the end, and
 *   `WASMLET_ERR_INVALID_WASM` for a malformed section it decodes.
 */
export function inspectModule(bytes: Uint8Array): ModuleInfo {
  if (detectWasmKind(bytes) === 'component') {
    throw new WasmletError('WASMLET_ERR_COMPONENT_UNSUPPORTED',
      'this is a WebAssembly component (WASI 0.2), not a core module — run it with runWasi/runComponent (or `wasmlet run`), which detect components, instead of the core-module API',
      { blame: 'user' });
  }
  const info: ModuleInfo = { kind: 'module', imports: [], memories: [], exports: [], types: [], funcTypes: [], functionNames: new Map() };
  const r = new WasmReader(bytes, 8, bytes.length);
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte('a section header');
    const size = r.uleb('a section size');
    const payloadStart = r.pos;
    const end = payloadStart + size;
    if (end > bytes.length) throw truncated(bytes.length, `section ${id} (declared ${size} bytes at ${hex(start)})`);
    const s = new WasmReader(bytes, payloadStart, end);
    switch (id) {
      case 0: readCustom(s, info); break;
      case 1: readTypes(s, info); break;
      case 2: readImports(s, info); break;
      case 3: { const n = s.uleb('function section'); for (let i = 0; i < n; i++) info.funcTypes.push(s.uleb('function section')); break; }
      case 5: {
        info.memorySection = { id, start, payloadStart, end };
        const n = s.uleb('memory section');
        for (let i = 0; i < n; i++) info.memories.push(readLimits(s));
        break;
      }
      case 7: {
        const n = s.uleb('export section');
        for (let i = 0; i < n; i++) {
          const name = s.name('an export name');
          const at = s.pos;
          const kind = KINDS[s.byte('an export kind')];
          if (!kind) throw malformed(at, 'unknown export kind');
          info.exports.push({ name, kind, index: s.uleb('an export index') });
        }
        break;
      }
      default: break;
    }
    r.pos = end;
  }
  return info;
}

function readTypes(s: WasmReader, info: ModuleInfo): void {
  const n = s.uleb('type section');
  const types: FuncType[] = [];
  for (let i = 0; i < n; i++) {
    if (s.byte('a type') !== 0x60) return; // GC proposal encodings: signatures stay unknown
    const params: ValType[] = [];
    const results: ValType[] = [];
    for (const list of [params, results]) {
      const count = s.uleb('a function type');
      for (let j = 0; j < count; j++) {
        const t = readValType(s);
        if (!t) return;
        list.push(t);
      }
    }
    types.push({ params, results });
  }
  info.types = types;
}

function readImports(s: WasmReader, info: ModuleInfo): void {
  const n = s.uleb('import section');
  for (let i = 0; i < n; i++) {
    const module = s.name('an import module name');
    const name = s.name('an import name');
    const at = s.pos;
    const kind = KINDS[s.byte('an import kind')];
    switch (kind) {
      case 'function': {
        const typeIndex = s.uleb('an import type index');
        info.funcTypes.push(typeIndex);
        info.imports.push({ module, name, kind, typeIndex });
        break;
      }
      case 'table': readValType(s); readLimits(s); info.imports.push({ module, name, kind }); break;
      case 'memory': info.imports.push({ module, name, kind, memory: readLimits(s) }); break;
      case 'global': readValType(s); s.byte('a global mutability'); info.imports.push({ module, name, kind }); break;
      case 'tag': s.byte('a tag attribute'); s.uleb('a tag type'); info.imports.push({ module, name, kind }); break;
      default: throw malformed(at, 'unknown import kind');
    }
  }
}

/** The `name` custom section (spec §7.4.1), function-names subsection only. Malformed names are ignored. */
function readCustom(s: WasmReader, info: ModuleInfo): void {
  try {
    if (s.name('a custom section name') !== 'name') return;
    while (s.pos < s.end) {
      const sub = s.byte('a name subsection');
      const size = s.uleb('a name subsection');
      const next = s.pos + size;
      if (sub === 1) {
        const n = s.uleb('function names');
        for (let i = 0; i < n; i++) {
          const index = s.uleb('function names');
          info.functionNames.set(index, s.name('a function name'));
        }
      }
      s.pos = next;
    }
  } catch {
    // Names are debugging aid only; a broken name section must not stop a module from running.
  }
}
