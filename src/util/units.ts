// Human-written sizes and durations (CLI flags, manifest limits) parsed into exact numbers.
import { WasmletError } from './errors.ts';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
  kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, tb: 1000 ** 4,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/**
 * Parses a size such as `64MiB`, `1.5GiB`, `512KB`, `4096` or `4096B` into a whole number of bytes.
 * Binary units (KiB, MiB, GiB, TiB, and the short K/M/G Wasmtime accepts) are powers of 1024;
 * decimal units (KB, MB, GB, TB) are powers of 1000. Units are case-insensitive.
 * @throws WasmletError `WASMLET_ERR_INVALID_SIZE` (blame user) for anything else, or a result
 *   that is not a safe integer.
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new WasmletError('WASMLET_ERR_INVALID_SIZE',
      `invalid size '${text}': use a number of bytes, optionally with a unit (B, KiB, MiB, GiB, KB, MB, GB), e.g. 64MiB`,
      { blame: 'user' });
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) {
    throw new WasmletError('WASMLET_ERR_INVALID_SIZE', `invalid size '${text}': too large — use at most ${Number.MAX_SAFE_INTEGER} bytes (about 8 PiB)`, { blame: 'user' });
  }
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `2s`, `1.5s`, `1m` or `1h` into milliseconds. A unit is
 * required (a bare `5` is ambiguous).
 * @throws WasmletError `WASMLET_ERR_INVALID_DURATION` (blame user) for anything else.
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(text);
  if (!m) {
    throw new WasmletError('WASMLET_ERR_INVALID_DURATION',
      `invalid duration '${text}': use a number with a unit (ms, s, m, h), e.g. 500ms or 2s`, { blame: 'user' });
  }
  const ms = Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!;
  if (!Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    throw new WasmletError('WASMLET_ERR_INVALID_DURATION', `invalid duration '${text}': too long (at most 24 days)`,
      { blame: 'user' });
  }
  return Math.ceil(ms);
}
