// Makes a core module preemptible in-process, the way Wasmtime's fuel does it in generated code
// (wasmtime crates/cranelift/src/func_environ.rs, `fuel_function_entry` / `fuel_before_op` at
// loop headers): a counter is decremented at function entries and `loop` headers, and when it
// runs out the host is called, which either hands out a new budget or ends the call. V8
// has no interruption hook for Wasm on the thread that runs it, so the check is written into the
// bytecode before compiling. Like Cranelift, which keeps fuel in a register between flushes to
// the VMContext, loop iterations are counted in a local and only every Nth reaches the global.
import { detectWasmKind, hex, malformed, uleb128, WasmReader } from '../binary.ts';
import { WasmletError } from '../../util/errors.ts';
import { ByteWriter } from './byte-writer.ts';
import { rewriteExpr, skipValType, type BulkCharges, type ExprRewrite, type LoopChecks } from './instructions.ts';

/** Module name of the function import the checks call (a `:` no toolchain emits). */
export const PREEMPT_IMPORT_MODULE = 'wasmlet:preempt';
/** Field name of that import: `tick: [] -> [i32]`, returning the next budget (or throwing). */
export const PREEMPT_IMPORT_NAME = 'tick';

/** Options of {@link rewriteForPreemption}. */
export interface PreemptRewriteOptions {
  /**
   * Loop iterations between two budget checks, counted in a local (1 to 2^31-1). Default
   * {@link DEFAULT_ITERATIONS_PER_CHECK}. Function entries check the budget every time.
   */
  iterationsPerCheck?: number;
}

/** What {@link rewriteForPreemption} produced. */
export interface PreemptRewrite {
  /** The rewritten module; it validates whenever the input does. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Function bodies given an entry check: those that call (leaf functions cannot recurse). */
  functions: number;
  /** `loop` headers given a check. */
  loops: number;
  /** Index of the inserted `tick` import in the new function index space. */
  tickFunction: number;
  /** Index of the inserted budget global (mutable i32, never exported). */
  budgetGlobal: number;
  /** Custom sections dropped because code offsets moved (DWARF `.debug_*`, `metadata.code.*`). */
  droppedCustomSections: string[];
}

/** Section ids in their required order (spec §5.5.2; tag, 13, sits between memory and global). */
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };
const TYPE = 1;
const IMPORT = 2;
const GLOBAL = 6;

interface Section { id: number; start: number; payloadStart: number; end: number }

function listSections(bytes: Uint8Array): Section[] {
  const r = new WasmReader(bytes, 8, bytes.length);
  const out: Section[] = [];
  let last = 0;
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte('a section header');
    const size = r.uleb('a section size');
    const payloadStart = r.pos;
    r.skip(size, `section ${id} (declared ${size} bytes at ${hex(start)})`);
    if (id !== 0) {
      const rank = ORDER[id];
      if (rank === undefined) throw malformed(start, `unknown section id ${id}`);
      if (rank <= last) throw malformed(start, `section ${id} is out of order or repeated`);
      last = rank;
    }
    out.push({ id, start, payloadStart, end: r.pos });
  }
  return out;
}

/**
 * Loop iterations counted in a function's own local between two budget checks (default). A
 * local stays in a register, a global is a load and a store per check (bench/preempt.ts measures
 * the variants).
 */
export const DEFAULT_ITERATIONS_PER_CHECK = 64;

/** The budget check: `if (budget) budget -= 1 else budget = tick()`; 12 bytes plus the two indices. */
function budgetCheck(budgetGlobal: number, tickFunction: number): number[] {
  const g = uleb128(budgetGlobal);
  return [
    0x23, ...g, 0x04, 0x40, // global.get $budget; if
    0x23, ...g, 0x41, 0x01, 0x6b, 0x24, ...g, // global.get $budget; i32.const 1; i32.sub; global.set $budget
    0x05, 0x10, ...uleb128(tickFunction), 0x24, ...g, // else; call $tick; global.set $budget
    0x0b, // end
  ];
}

/**
 * Bytes (or table elements) a bulk instruction may move per check it is charged: a check stands
 * for ~0.5 ns of loop work, and `memory.fill` moves ~256 bytes in ~20-30 ns, so a long fill reads
 * the clock about as often as a tight loop does (a fill under 256 bytes costs only the charge).
 */
export const BULK_BYTES_PER_CHECK_LOG2 = 8;

/**
 * The charge before a bulk instruction, for the function whose countdown local is `countdown`
 * (scratch locals: `countdown + 1` an i32, `countdown + 2` an i64): with `c = length >> 8`,
 * `if (c >= budget) budget = tick() else budget -= c`. Stack-neutral: the length stays on top.
 */
function bulkCharges(countdown: number, budgetGlobal: number, tickFunction: number, memory64: boolean[], table64: boolean[]): BulkCharges {
  const s = uleb128(countdown + 1);
  const w = uleb128(countdown + 2);
  const g = uleb128(budgetGlobal);
  const shift = BULK_BYTES_PER_CHECK_LOG2;
  const orTick = (c: number[]): number[] => [
    0x04, 0x40, 0x10, ...uleb128(tickFunction), 0x24, ...g, // if; call $tick; global.set $budget
    0x05, 0x23, ...g, ...c, 0x6b, 0x24, ...g, 0x0b, // else; global.get $budget; c; i32.sub; global.set $budget; end
  ];
  return {
    i32: Uint8Array.from([
      0x22, ...s, 0x20, ...s, 0x41, shift, 0x76, 0x21, ...s, // local.tee $s; local.get $s; i32.const 8; i32.shr_u; local.set $s (= c)
      0x20, ...s, 0x23, ...g, 0x4f, // local.get $s; global.get $budget; i32.ge_u
      ...orTick([0x20, ...s]),
    ]),
    i64: Uint8Array.from([
      0x22, ...w, // local.tee $w
      0x20, ...w, 0x42, shift, 0x88, 0x23, ...g, 0xad, 0x5a, // (len >> 8) >=u (i64) budget
      ...orTick([0x20, ...w, 0x42, shift, 0x88, 0xa7]), // c < budget < 2^31: wraps exactly
    ]),
    memory64,
    table64,
  };
}

/**
 * The two halves of a loop's check on the function's countdown local `n` (zero on entry):
 * the wrapper checks the budget and then refills `n` when `n` is 0 (in that order: a guest that
 * catches the check's exception finds `n` still 0, and the next loop header checks again); the loop header branches to the
 * wrapper when `n` is 0, else counts down. So the budget is checked on the first iteration of a
 * function's loops and then every `iterations` iterations.
 */
function loopChecks(local: number, iterations: number, budget: number[]): LoopChecks {
  const l = uleb128(local);
  return {
    wrapperHead: Uint8Array.from([
      0x20, ...l, 0x45, 0x04, 0x40, // local.get $n; i32.eqz; if
      ...budget, // first: a check that throws leaves n at 0, so every later header checks (and throws) again
      0x41, ...sleb128(iterations), 0x21, ...l, // i32.const iterations; local.set $n
      0x0b, // end
    ]),
    loopHead: Uint8Array.from([
      0x20, ...l, 0x45, 0x0d, 0x01, // local.get $n; i32.eqz; br_if 1 (the wrapper)
      0x20, ...l, 0x41, 0x01, 0x6b, 0x21, ...l, // local.get $n; i32.const 1; i32.sub; local.set $n
    ]),
  };
}

/** Signed LEB128 of a non-negative i32 (spec §5.2.2): unsigned, plus a 0 byte when bit 6 of the last is set. */
function sleb128(value: number): number[] {
  const out = uleb128(value);
  if (out[out.length - 1]! & 0x40) { out[out.length - 1]! |= 0x80; out.push(0); }
  return out;
}

function nameBytes(out: ByteWriter, s: string): void {
  const b = new TextEncoder().encode(s);
  out.uleb(b.length);
  out.bytes(b);
}

/** Custom sections whose contents point at code offsets that the rewrite moves. */
function offsetBound(name: string): boolean {
  return name.startsWith('.debug_') || name.startsWith('metadata.code.') || name === 'sourceMappingURL';
}

/**
 * Rewrites a core module so that a long-running call can be stopped without stopping its thread:
 * - a function import `wasmlet:preempt` `tick` of type `[] -> [i32]` is appended to the imports
 *   (a new type is appended for it), so every defined function index moves up by one, and every
 *   reference is remapped: `call`, `return_call`, `ref.func` (in code, global and table
 *   initializers and element segments of all eight forms), exports, the start function, and the
 *   `name` section's function and local names (kept, remapped; label names are dropped; a
 *   malformed `name` section is dropped);
 * - a mutable i32 global, the budget (initially 0), is appended to the globals;
 * - every function body that calls (directly, indirectly, by reference, or as a tail call) starts
 *   with the check `if (budget) budget -= 1 else budget = tick()`: the host's `tick` returns the
 *   next budget or throws to end the call (preemption-clock.ts). Every cycle of calls (recursion,
 *   also through the host) passes such a function; a leaf function cannot be on one;
 * - every `loop` is wrapped in a second `loop` of the same block type and counts down a new i32
 *   local of the function; every `iterationsPerCheck` iterations (and on the first) it branches
 *   to the wrapper, which runs the same check (labels crossing a wrapper are renumbered);
 * - every bulk instruction (`memory.fill/copy/init`, `table.fill/copy/init/grow`) is charged
 *   `length >> 8` checks first (`tick` when that is the budget or more), so a loop of long fills
 *   reads the clock as often as a tight loop (two scratch locals after the countdown);
 * Custom sections that hold code offsets (DWARF `.debug_*`, `metadata.code.*` branch hints,
 * `sourceMappingURL`) are dropped; all others are kept.
 * @throws WasmletError `WASMLET_ERR_PREEMPT_UNSUPPORTED` (blame guest) for what it cannot walk:
 *   GC types or instructions, unknown opcodes, or a module already rewritten;
 *   `WASMLET_ERR_INVALID_WASM` for a module `WebAssembly.validate` rejects; as
 *   {@link detectWasmKind} for something that is not a core module.
 */
export function rewriteForPreemption(bytes: Uint8Array, options: PreemptRewriteOptions = {}): PreemptRewrite {
  const iterations = options.iterationsPerCheck ?? DEFAULT_ITERATIONS_PER_CHECK;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0x7fffffff) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `iterationsPerCheck must be an integer from 1 to 2^31-1, got ${iterations}`, { blame: 'user' });
  }
  if (detectWasmKind(bytes) !== 'module') {
    throw new WasmletError('WASMLET_ERR_COMPONENT_UNSUPPORTED', 'preemption checks are written into core modules; this is a component', { blame: 'user' });
  }
  const sections = listSections(bytes);
  const out = new ByteWriter(bytes.length + (bytes.length >> 3) + 64);
  out.bytes(bytes, 0, 8);
  const payload = new ByteWriter(4096);
  const body = new ByteWriter(4096);
  /** Parameter count of every type, and the type of every defined function: where a new local goes. */
  const typeParams: number[] = [];
  const functionTypes: number[] = [];
  let typeCount = 0;
  let importedFunctions = 0;
  let globals = 0;
  let wroteType = false;
  let wroteImport = false;
  let wroteGlobal = false;
  let functions = 0;
  let loops = 0;
  const dropped: string[] = [];
  const consts: ExprRewrite = { firstDefinedFunction: 0, loops: null, bulk: null };
  const memory64: boolean[] = [];
  const table64: boolean[] = [];
  const remap = (i: number): number => (i >= importedFunctions ? i + 1 : i);
  const emit = (id: number): void => { out.byte(id); out.sized(payload); payload.clear(); };

  const writeTypes = (r: WasmReader | null): void => {
    const n = r === null ? 0 : r.uleb('type section');
    payload.uleb(n + 1);
    if (r !== null) {
      const from = r.pos;
      for (let i = 0; i < n; i++) {
        const at = r.pos;
        const form = r.byte('a type');
        if (form !== 0x60) throw new WasmletError('WASMLET_ERR_PREEMPT_UNSUPPORTED', `cannot make the module preemptible: type ${i} at byte offset ${hex(at)} has form ${hex(form)} (a GC-proposal type); only function types are supported`, { blame: 'guest' });
        for (let k = 0; k < 2; k++) {
          const c = r.uleb('a function type');
          if (k === 0) typeParams.push(c);
          for (let j = 0; j < c; j++) skipValType(r);
        }
      }
      payload.bytes(bytes, from, r.pos);
    }
    typeCount = n;
    payload.bytes([0x60, 0x00, 0x01, 0x7f]); // [] -> [i32]
    emit(TYPE);
    wroteType = true;
  };

  const writeImports = (r: WasmReader | null): void => {
    if (!wroteType) writeTypes(null);
    const n = r === null ? 0 : r.uleb('import section');
    payload.uleb(n + 1);
    if (r !== null) {
      const from = r.pos;
      for (let i = 0; i < n; i++) {
        const module = r.name('an import module name');
        const name = r.name('an import name');
        if (module === PREEMPT_IMPORT_MODULE && name === PREEMPT_IMPORT_NAME) {
          throw new WasmletError('WASMLET_ERR_PREEMPT_UNSUPPORTED', `the module already imports ${PREEMPT_IMPORT_MODULE} ${PREEMPT_IMPORT_NAME}: it is already rewritten for preemption (rewrite the original bytes once)`, { blame: 'user' });
        }
        const at = r.pos;
        switch (r.byte('an import kind')) {
          case 0: importedFunctions++; r.uleb('an import type index'); break;
          case 1: skipValType(r); table64.push(skipLimits(r)); break;
          case 2: memory64.push(skipLimits(r)); break;
          case 3: skipValType(r); r.byte('a global mutability'); globals++; break;
          case 4: r.byte('a tag attribute'); r.uleb('a tag type'); break;
          default: throw malformed(at, 'unknown import kind');
        }
      }
      payload.bytes(bytes, from, r.pos);
    }
    nameBytes(payload, PREEMPT_IMPORT_MODULE);
    nameBytes(payload, PREEMPT_IMPORT_NAME);
    payload.byte(0x00);
    payload.uleb(typeCount);
    emit(IMPORT);
    wroteImport = true;
    consts.firstDefinedFunction = importedFunctions;
  };

  const writeGlobals = (r: WasmReader | null): void => {
    if (!wroteImport) writeImports(null);
    const n = r === null ? 0 : r.uleb('global section');
    payload.uleb(n + 1);
    for (let i = 0; i < n; i++) {
      const from = r!.pos;
      skipValType(r!);
      r!.byte('a global mutability');
      payload.bytes(bytes, from, r!.pos);
      rewriteExpr(r!, payload, consts);
    }
    globals += n;
    payload.bytes([0x7f, 0x01, 0x41, 0x00, 0x0b]); // (mut i32) (i32.const 0)
    emit(GLOBAL);
    wroteGlobal = true;
  };

  for (const s of sections) {
    const rank = s.id === 0 ? 0 : ORDER[s.id]!;
    if (rank > ORDER[TYPE]! && !wroteType) writeTypes(null);
    if (rank > ORDER[IMPORT]! && !wroteImport) writeImports(null);
    if (rank > ORDER[GLOBAL]! && !wroteGlobal) writeGlobals(null);
    const r = new WasmReader(bytes, s.payloadStart, s.end);
    switch (s.id) {
      case TYPE: writeTypes(r); break;
      case IMPORT: writeImports(r); break;
      case GLOBAL: writeGlobals(r); break;
      case 4: { // tables: `0x40 0x00 tabletype expr` carries an initializer
        const n = r.uleb('table section');
        payload.uleb(n);
        for (let i = 0; i < n; i++) {
          const from = r.pos;
          const init = r.peek('a table') === 0x40;
          if (init) r.skip(2, 'a table');
          skipValType(r);
          table64.push(skipLimits(r));
          payload.bytes(bytes, from, r.pos);
          if (init) rewriteExpr(r, payload, consts);
        }
        emit(4);
        break;
      }
      case 5: { // memories: copied, and remembered for the length type of memory.fill/copy
        const n = r.uleb('memory section');
        for (let i = 0; i < n; i++) memory64.push(skipLimits(r));
        out.bytes(bytes, s.start, s.end);
        break;
      }
      case 7: { // exports
        const n = r.uleb('export section');
        payload.uleb(n);
        for (let i = 0; i < n; i++) {
          const from = r.pos;
          r.name('an export name');
          const kind = r.byte('an export kind');
          payload.bytes(bytes, from, r.pos);
          const index = r.uleb('an export index');
          payload.uleb(kind === 0 ? remap(index) : index);
        }
        emit(7);
        break;
      }
      case 8: payload.uleb(remap(r.uleb('the start function'))); emit(8); break;
      case 9: writeElements(r, payload, consts, remap); emit(9); break;
      case 3: { // function types: copied, and remembered for the local index of each countdown
        const n = r.uleb('function section');
        for (let i = 0; i < n; i++) functionTypes.push(r.uleb('a function type index'));
        out.bytes(bytes, s.start, s.end);
        break;
      }
      case 10: {
        const budget = budgetCheck(globals, importedFunctions);
        const entry = Uint8Array.from(budget);
        const checks = new Map<number, LoopChecks>(); // by countdown local index
        const charges = new Map<number, BulkCharges>(); // by countdown local index
        const instrs = new ByteWriter(4096);
        const n = r.uleb('code section');
        payload.uleb(n);
        for (let i = 0; i < n; i++) {
          const size = r.uleb('a function body size');
          const end = r.pos + size;
          const f = new WasmReader(bytes, r.pos, end);
          const declarations = f.uleb('local declarations');
          const declStart = f.pos;
          let locals = typeParams[functionTypes[i]!] ?? 0;
          for (let j = 0; j < declarations; j++) { locals += f.uleb('a local count'); skipValType(f); }
          const declEnd = f.pos;
          let check = checks.get(locals);
          if (check === undefined) checks.set(locals, check = loopChecks(locals, iterations, budget));
          let charge = charges.get(locals);
          if (charge === undefined) charges.set(locals, charge = bulkCharges(locals, globals, importedFunctions, memory64, table64));
          const { loops: found, calls, bulk } = rewriteExpr(f, instrs, { firstDefinedFunction: importedFunctions, loops: check, bulk: charge });
          if (f.pos !== end) throw malformed(f.pos, `function body ${i} ends before its declared size`);
          // The countdown local is declared only where a loop uses it, the two scratch locals of
          // the bulk charges (after it) where a bulk instruction does.
          body.uleb(bulk > 0 ? declarations + 2 : found > 0 ? declarations + 1 : declarations);
          body.bytes(bytes, declStart, declEnd);
          if (bulk > 0) body.bytes([0x02, 0x7f, 0x01, 0x7e]);
          else if (found > 0) body.bytes([0x01, 0x7f]);
          // A function that calls nothing can be on no cycle of calls (recursion, or through the
          // host): its loops are checked, and without loops it runs a bounded time. No entry check.
          if (calls > 0) { body.bytes(entry); functions++; }
          body.append(instrs);
          payload.sized(body);
          body.clear();
          instrs.clear();
          r.pos = end;
          loops += found;
        }
        emit(10);
        break;
      }
      case 0: {
        const name = r.name('a custom section name');
        if (offsetBound(name)) { dropped.push(name); break; }
        if (name === 'name') {
          if (writeNames(r, payload, remap)) {
            const inner = new ByteWriter(payload.length + 8);
            nameBytes(inner, 'name');
            inner.bytes(payload.toBytes());
            out.byte(0);
            out.sized(inner);
          } else dropped.push(name);
          payload.clear();
          break;
        }
        payload.clear();
        out.bytes(bytes, s.start, s.end);
        break;
      }
      default: out.bytes(bytes, s.start, s.end); break; // function, memory, tag, datacount, data
    }
  }
  if (!wroteGlobal) writeGlobals(null);
  // An invalid module that uses exactly the local, global or type index the rewrite appends would
  // be valid afterwards, with the guest writing its own countdown or budget: only valid input is
  // taken (checked last, so what the walker refuses is named first).
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    throw new WasmletError('WASMLET_ERR_INVALID_WASM', 'invalid WebAssembly module (WebAssembly.validate rejects it): preemption checks are written only into a valid module', { blame: 'guest' });
  }
  return {
    bytes: out.toBytes(), functions, loops,
    tickFunction: importedFunctions, budgetGlobal: globals, droppedCustomSections: dropped,
  };
}

/**
 * Table and memory limits: flags, min, and max when flag bit 0 is set (bit 1: shared, bit 2:
 * 64-bit, bit 3: a custom page size's log2 follows, custom-page-sizes proposal).
 */
function skipLimits(r: WasmReader): boolean {
  const at = r.pos;
  const flags = r.byte('limits');
  if (flags > 0x0f) throw malformed(at, `unknown limits flags ${hex(flags)}`);
  const size = flags & 0x04 ? 10 : 5;
  r.skipLeb('a limit', size);
  if (flags & 0x01) r.skipLeb('a limit', size);
  if (flags & 0x08) r.skipLeb('a page size', 5);
  return (flags & 0x04) !== 0;
}

/**
 * The element section (spec §5.5.12), all eight forms: bit 0 passive/declarative, bit 1 explicit
 * table index (active) or declarative, bit 2 expressions instead of function indices.
 */
function writeElements(r: WasmReader, out: ByteWriter, consts: ExprRewrite, remap: (i: number) => number): void {
  const bytes = r.bytes;
  const n = r.uleb('element section');
  out.uleb(n);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const flags = r.uleb('an element segment kind');
    if (flags > 7) throw malformed(at, `unknown element segment kind ${flags}`);
    out.uleb(flags);
    const active = (flags & 1) === 0;
    const exprs = (flags & 4) !== 0;
    if (active && flags & 2) out.uleb(r.uleb('an element table index'));
    if (active) rewriteExpr(r, out, consts);
    if (!active || flags & 2) { // an elemkind byte (0x00) or a reference type
      const from = r.pos;
      if (exprs) skipValType(r); else r.byte('an element kind');
      out.bytes(bytes, from, r.pos);
    }
    const count = r.uleb('element items');
    out.uleb(count);
    for (let j = 0; j < count; j++) {
      if (exprs) rewriteExpr(r, out, consts);
      else out.uleb(remap(r.uleb('an element function index')));
    }
  }
}

/**
 * The `name` section (spec §7.4.1): subsections 1 (function names) and 2 (local names) are keyed
 * by function index and are remapped; 3 (label names, by block order within a function, which
 * the inserted wrapper loops shift) is dropped; the others are copied. Returns false
 * when the section is malformed (the caller then drops it: names are a debugging aid only).
 */
function writeNames(r: WasmReader, out: ByteWriter, remap: (i: number) => number): boolean {
  const bytes = r.bytes;
  const sub = new ByteWriter(1024);
  try {
    while (r.pos < r.end) {
      const id = r.byte('a name subsection');
      const size = r.uleb('a name subsection size');
      const end = r.pos + size;
      // Label names (3) are keyed by block order, which the loop wrappers shift: dropped, not renumbered.
      if (id === 3) { r.pos = end; continue; }
      if (id < 1 || id > 2) { out.byte(id); out.uleb(size); out.bytes(bytes, r.pos, end); r.pos = end; continue; }
      const s = new WasmReader(bytes, r.pos, end);
      const n = s.uleb('a name map');
      sub.uleb(n);
      for (let i = 0; i < n; i++) {
        sub.uleb(remap(s.uleb('a function index')));
        const from = s.pos;
        if (id === 1) s.skip(s.uleb('a name'), 'a name');
        else { const m = s.uleb('a name map'); for (let j = 0; j < m; j++) { s.uleb('an index'); s.skip(s.uleb('a name'), 'a name'); } }
        sub.bytes(bytes, from, s.pos);
      }
      if (s.pos !== end) return false;
      out.byte(id);
      out.sized(sub);
      sub.clear();
      r.pos = end;
    }
    return true;
  } catch {
    out.clear();
    return false;
  }
}
