// The instruction walker of the preemption rewriter: reads one expression (a function body or a
// constant expression) instruction by instruction, knowing every immediate's encoding, and copies
// it to the output with function indices shifted past the inserted import and every `loop`
// wrapped in a second one that holds the slow path of its preemption check (see `LoopChecks`);
// branch labels that cross a wrapper are renumbered. Byte ranges without a change are copied in
// bulk.
// Opcodes and immediates: WebAssembly Core Specification 2.0 §5.4 (MVP, sign-ext, sat-trunc,
// bulk memory, reference types, multi-value, SIMD 0xFD), and the proposals' binary.md files:
// threads (0xFE), exception handling (legacy try/catch/delegate/rethrow and try_table/throw_ref),
// tail calls, typed function references (call_ref, br_on_null...), multi-memory (memarg flag bit
// 6), relaxed SIMD (0xFD 0x100-0x113), memory64 (64-bit memarg offsets).
import { hex, malformed, type WasmReader } from '../binary.ts';
import { WasmletError } from '../../util/errors.ts';
import type { ByteWriter } from './byte-writer.ts';

/**
 * The code a `loop bt ... end` becomes: `loop bt <wrapperHead> loop bt <loopHead> ... end end`.
 * The wrapper holds the slow path (refill the countdown, check the budget: a call), the inner
 * loop only a countdown that branches to the wrapper when it runs out: a call inside the hot
 * loop would make V8 spill its live values around it on every iteration (measured in
 * bench/preempt.ts: 2.8x on a tight loop, against 1.5x with the call out in the wrapper). The
 * branch to the wrapper carries the loop's parameters, as the wrapper has the same block type.
 */
export interface LoopChecks {
  /** Right after the wrapper's `loop bt`: stack-neutral. */
  wrapperHead: Uint8Array;
  /** Right after the original `loop bt`: `br_if 1` to the wrapper, then stack-neutral. */
  loopHead: Uint8Array;
}

/**
 * What runs before each bulk instruction (`memory.fill/copy/init`, `table.fill/copy/init/grow`):
 * one such instruction can take milliseconds, so it is charged by its length operand (the top
 * of the stack), not as one instruction. Both codes are stack-neutral.
 */
export interface BulkCharges {
  /** For an i32 length. */
  i32: Uint8Array;
  /** For an i64 length (memory64 / table64). */
  i64: Uint8Array;
  /** Whether memory `i` (imports first) is 64-bit (memory64): its fill length is an i64. */
  memory64: boolean[];
  /** Whether table `i` (imports first) is 64-bit (table64). */
  table64: boolean[];
}

/** What {@link rewriteExpr} saw in an expression. */
export interface ExprFacts {
  /** `loop` instructions. */
  loops: number;
  /** Calls of any kind: call, call_indirect, call_ref and their return_ (tail) forms. */
  calls: number;
  /** Bulk instructions charged by length (see {@link BulkCharges}). */
  bulk: number;
}

/** How one expression is rewritten. */
export interface ExprRewrite {
  /** Function indices at or above this (the defined functions) move up by one (the import is inserted before them). */
  firstDefinedFunction: number;
  /** How loops are wrapped, or null (constant expressions: no loops, no labels change). */
  loops: LoopChecks | null;
  /** How bulk instructions are charged, or null (constant expressions have none). */
  bulk: BulkCharges | null;
}

/** The error for an encoding the walker does not know: it never guesses an immediate's length. */
export function unsupportedOpcode(offset: number, opcode: string, why: string): WasmletError {
  return new WasmletError('WASMLET_ERR_PREEMPT_UNSUPPORTED',
    `cannot make the module preemptible: opcode ${opcode} at byte offset ${hex(offset)} ${why}; `
    + 'run the module on a worker instead (the worker mode stops a looping guest by terminating its thread)',
    { blame: 'guest' });
}

/** A block type (spec §5.4.1): 0x40, a value type (one byte, or 0x63/0x64 + heap type), or an s33 type index. */
function skipBlockType(r: WasmReader): void {
  const b = r.peek('a block type');
  if (b & 0x80 || b < 0x40) { r.skipLeb('a block type index', 5); return; }
  r.pos++;
  if (b === 0x63 || b === 0x64) r.skipLeb('a heap type', 5);
}

/** A value type: one byte, or 0x63/0x64 (ref null / ref) followed by an s33 heap type. */
export function skipValType(r: WasmReader): void {
  const b = r.byte('a value type');
  if (b === 0x63 || b === 0x64) r.skipLeb('a heap type', 5);
}

/** A memarg (spec §5.4.7): alignment flags (bit 6: a memory index follows), then a u64 offset. */
function skipMemarg(r: WasmReader): void {
  const flags = r.uleb('a memarg alignment');
  if (flags & 0x40) r.uleb('a memarg memory index');
  r.skipLeb('a memarg offset', 10);
}

function u32(r: WasmReader, n: number): void {
  for (let i = 0; i < n; i++) r.skipLeb('an index', 5);
}

/**
 * Skips a 0xFC instruction's immediates.
 * @returns for a bulk instruction, whether its length operand is an i64 (memory64 / table64:
 *   `memory.copy` and `table.copy` take an i64 length only between two 64-bit ones); else null.
 */
function skipFc(r: WasmReader, at: number, bulk: BulkCharges | null): boolean | null {
  const sub = r.uleb('a 0xFC opcode');
  if (sub <= 7) return null; // saturating truncation
  const wide = (of: boolean[] | undefined): boolean => of?.[r.uleb('a memory or table index')] === true;
  switch (sub) {
    case 8: case 12: u32(r, 2); return false; // memory.init data mem, table.init elem table
    case 9: case 13: case 16: u32(r, 1); return null; // data.drop, elem.drop, table.size
    case 11: return wide(bulk?.memory64); // memory.fill mem
    case 15: case 17: return wide(bulk?.table64); // table.grow, table.fill
    case 10: { const d = wide(bulk?.memory64); return wide(bulk?.memory64) && d; } // memory.copy dst src
    case 14: { const d = wide(bulk?.table64); return wide(bulk?.table64) && d; } // table.copy dst src
    default: throw unsupportedOpcode(at, `0xfc ${sub}`, 'is not a bulk-memory, reference-types or saturating-truncation instruction');
  }
}

function skipFd(r: WasmReader, at: number): void {
  const sub = r.uleb('a 0xFD opcode');
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) { skipMemarg(r); return; } // loads, store, load_zero
  if (sub === 0x0c || sub === 0x0d) { r.skip(16, 'a v128 immediate'); return; } // v128.const, i8x16.shuffle
  if (sub >= 0x15 && sub <= 0x22) { r.skip(1, 'a lane index'); return; } // extract/replace_lane
  if (sub >= 0x54 && sub <= 0x5b) { skipMemarg(r); r.skip(1, 'a lane index'); return; } // load/store_lane
  if (sub <= 0x113) return; // every other SIMD and relaxed-SIMD instruction has no immediate
  throw unsupportedOpcode(at, `0xfd ${hex(sub)}`, 'is not a SIMD or relaxed-SIMD instruction');
}

function skipFe(r: WasmReader, at: number): void {
  const sub = r.uleb('a 0xFE opcode');
  if (sub === 0x03) { r.skip(1, 'atomic.fence'); return; }
  if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) { skipMemarg(r); return; }
  throw unsupportedOpcode(at, `0xfe ${hex(sub)}`, 'is not a threads (atomics) instruction');
}

/**
 * Copies one expression from `r` (positioned at its first instruction) to `out`, through the
 * `end` that closes it, rewritten as `how` says. On return `r.pos` is just past that `end`.
 * @returns what the expression holds: its `loop` headers, call instructions of any kind, and
 *   bulk instructions charged by length.
 * @throws WasmletError `WASMLET_ERR_PREEMPT_UNSUPPORTED` for an opcode this walker does not know
 *   (GC 0xFB, stringref, unknown prefixes), `WASMLET_ERR_TRUNCATED` / `WASMLET_ERR_INVALID_WASM`
 *   for an expression that runs past its end.
 */
export function rewriteExpr(r: WasmReader, out: ByteWriter, how: ExprRewrite): ExprFacts {
  const bytes = r.bytes;
  const { firstDefinedFunction, loops: wrap, bulk: charges } = how;
  let copied = r.pos;
  let loops = 0;
  let calls = 0;
  let bulk = 0;
  // The control stack (the function's own block at 0): `wrapped[i]` is 1 for a wrapped loop, and
  // `below[i]` counts the wrapped loops at 0..i, so a branch of depth d from the top crosses
  // below[top] - below[top - d] wrappers, each one more label to jump over.
  const wrapped: number[] = [0];
  const below: number[] = [0];
  const push = (w: number): void => { wrapped.push(w); below.push(below[below.length - 1]! + w); };
  const pop = (): number => { below.pop(); return wrapped.pop()!; };
  /** Reads a label index; writes it renumbered when wrappers lie between it and its target. */
  const label = (): void => {
    const at = r.pos;
    const d = r.uleb('a label index');
    const top = below.length - 1;
    const extra = d > top ? 0 : below[top]! - below[top - d]!;
    if (extra === 0) return;
    out.bytes(bytes, copied, at);
    out.uleb(d + extra);
    copied = r.pos;
  };
  for (;;) {
    const at = r.pos;
    const op = r.byte('an instruction');
    if (op >= 0x45 && op <= 0xc4) continue; // numeric, no immediates (incl. sign-extension)
    switch (op) {
      case 0x00: case 0x01: case 0x05: case 0x0a: case 0x0f: case 0x19: case 0x1a: case 0x1b:
      case 0xd1: case 0xd3: case 0xd4:
        break; // unreachable nop else throw_ref return catch_all drop select ref.is_null ref.eq ref.as_non_null
      case 0x02: case 0x04: case 0x06: skipBlockType(r); push(0); break; // block if try
      case 0x03: { // loop
        skipBlockType(r);
        loops++;
        if (wrap === null) { push(0); break; }
        out.bytes(bytes, copied, r.pos); // loop bt: the wrapper
        out.bytes(wrap.wrapperHead);
        out.bytes(bytes, at, r.pos); // loop bt: the original
        out.bytes(wrap.loopHead);
        copied = r.pos;
        push(1);
        break;
      }
      case 0x1f: { // try_table bt vec(catch): catch labels are resolved outside the try_table
        skipBlockType(r);
        const n = r.uleb('try_table catches');
        for (let i = 0; i < n; i++) {
          const kind = r.byte('a catch clause');
          if (kind > 3) throw malformed(r.pos - 1, `unknown try_table catch kind ${hex(kind)}`);
          if (kind <= 1) r.skipLeb('a tag index', 5);
          label();
        }
        push(0);
        break;
      }
      case 0x0b: // end
        if (wrapped.length === 1) { out.bytes(bytes, copied, r.pos); return { loops, calls, bulk }; }
        if (pop() === 1) { out.bytes(bytes, copied, r.pos); out.byte(0x0b); copied = r.pos; } // the wrapper's end
        break;
      case 0x18: pop(); label(); break; // delegate closes its try; its label does not count the try
      case 0x09: case 0x0c: case 0x0d: case 0xd5: case 0xd6: label(); break; // rethrow br br_if br_on_null br_on_non_null
      case 0x0e: { const n = r.uleb('br_table labels'); for (let i = 0; i <= n; i++) label(); break; }
      case 0x14: case 0x15: calls++; r.skipLeb('a type index', 5); break; // call_ref return_call_ref
      case 0x07: case 0x08:
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: case 0x3f: case 0x40:
        r.skipLeb('an immediate', 5); // catch throw locals globals tables memory.size/grow
        break;
      case 0x11: case 0x13: calls++; u32(r, 2); break; // (return_)call_indirect type table
      case 0x10: case 0x12: case 0xd2: { // call, return_call, ref.func: the indices that move
        if (op !== 0xd2) calls++;
        out.bytes(bytes, copied, r.pos);
        const index = r.uleb('a function index');
        out.uleb(index >= firstDefinedFunction ? index + 1 : index);
        copied = r.pos;
        break;
      }
      case 0x1c: { const n = r.uleb('select types'); for (let i = 0; i < n; i++) skipValType(r); break; }
      case 0x41: r.skipLeb('i32.const', 5); break;
      case 0x42: r.skipLeb('i64.const', 10); break;
      case 0x43: r.skip(4, 'f32.const'); break;
      case 0x44: r.skip(8, 'f64.const'); break;
      case 0xd0: r.skipLeb('a heap type', 5); break; // ref.null
      case 0xfc: {
        const wide = skipFc(r, at, charges);
        if (wide === null || charges === null) break;
        out.bytes(bytes, copied, at); // the charge goes before the instruction, its length on top
        out.bytes(wide ? charges.i64 : charges.i32);
        copied = at;
        bulk++;
        break;
      }
      case 0xfd: skipFd(r, at); break;
      case 0xfe: skipFe(r, at); break;
      case 0xfb: throw unsupportedOpcode(at, '0xfb', 'is a GC-proposal instruction (struct/array/i31/casts), which the rewriter does not walk');
      default:
        if (op >= 0x28 && op <= 0x3e) { skipMemarg(r); break; } // loads and stores
        throw unsupportedOpcode(at, hex(op), 'is not an instruction the rewriter knows');
    }
  }
}
