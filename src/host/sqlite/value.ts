// The `value` variant and `query-result` record of `fermyon:spin/sqlite@2.0.0`
// (spinframework/spin `wit/deps/spin@2.0.0/sqlite.wit`) in jco's shapes, and the conversions
// to and from `node:sqlite` cells, as `convert_data` / `ValueWrapper` in
// `crates/sqlite-inproc/src/lib.rs`: INTEGER <-> integer (s64: bigint), REAL <-> real, TEXT <->
// text, BLOB <-> blob, NULL <-> null.
import { sqliteIo } from './sqlite-error.ts';

/** WIT `value`: `integer(s64)` is a bigint, `real(f64)` a number. */
export type SqliteValue =
  | { tag: 'integer'; val: bigint }
  | { tag: 'real'; val: number }
  | { tag: 'text'; val: string }
  | { tag: 'blob'; val: Uint8Array }
  | { tag: 'null' };

/** WIT `row-result`. */
export interface RowResult {
  values: SqliteValue[];
}

/** WIT `query-result`: column names, then rows whose values are in column order. */
export interface QueryResult {
  columns: string[];
  rows: RowResult[];
}

const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

/** A parameter as `node:sqlite` binds it. Throws `io` naming the 1-based position for a malformed value. */
export function toBindable(v: SqliteValue, position: number): bigint | number | string | Uint8Array | null {
  const bad = (what: string): never => { throw sqliteIo(`parameter ${position}: ${what}`); };
  if (v === null || typeof v !== 'object') return bad('not a value variant');
  switch (v.tag) {
    case 'integer':
      if (typeof v.val !== 'bigint' || v.val < S64_MIN || v.val > S64_MAX) return bad('integer must be a signed 64-bit bigint');
      return v.val;
    case 'real':
      // A JS number always binds as REAL in node:sqlite, so `real(1)` stays REAL.
      if (typeof v.val !== 'number') return bad('real must be a number');
      return v.val;
    case 'text':
      if (typeof v.val !== 'string') return bad('text must be a string');
      return v.val;
    case 'blob':
      if (!(v.val instanceof Uint8Array)) return bad('blob must be a Uint8Array');
      return v.val;
    case 'null':
      return null;
    default:
      return bad(`unknown tag ${JSON.stringify((v as { tag: unknown }).tag)}`);
  }
}

/** A cell read with `readBigInts` as a `value`. */
export function fromCell(cell: unknown): SqliteValue {
  if (cell === null || cell === undefined) return { tag: 'null' };
  if (typeof cell === 'bigint') return { tag: 'integer', val: cell };
  if (typeof cell === 'number') return { tag: 'real', val: cell };
  if (typeof cell === 'string') return { tag: 'text', val: cell };
  if (cell instanceof Uint8Array) return { tag: 'blob', val: cell };
  throw sqliteIo(`unexpected cell type ${typeof cell}`);
}

/** Host bytes a value takes (Spin's `memory_size`, roughly), for the result-size limit. */
export function valueBytes(v: SqliteValue): number {
  switch (v.tag) {
    case 'text': return 16 + v.val.length * 2;
    case 'blob': return 16 + v.val.byteLength;
    default: return 16;
  }
}
