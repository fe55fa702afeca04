// Cross-checks every constant in wasi-defs.ts against wasi-libc's generated header (from the same
// witx), so a mistyped or shifted value cannot hide behind tests that read our own table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as defs from './wasi-defs.ts';

const HEADER = '/usr/include/wasm32-wasi/wasi/api.h'; // Debian's wasi-libc (scripts/install-deps.sh)

function headerConstants(): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const m of readFileSync(HEADER, 'utf8').matchAll(/^#define __WASI_([A-Z0-9_]+) \((.*)\)$/gm)) {
    const body = m[2]!;
    const shift = /\(1 << (\d+)\)/.exec(body);
    const literal = /UINT\d+_C\((\d+)\)/.exec(body);
    if (shift) out.set(m[1]!, 1n << BigInt(shift[1]!));
    else if (literal) out.set(m[1]!, BigInt(literal[1]!));
  }
  return out;
}

test('every constant that wasi-libc defines has the same value in wasi-defs.ts', () => {
  const header = headerConstants();
  assert.ok(header.size > 100, `parsed ${HEADER}`);
  const ours = defs as unknown as Record<string, unknown>;
  const mismatches: string[] = [];
  let compared = 0;
  for (const [name, value] of header) {
    if (!(name in ours)) continue;
    const mine = ours[name];
    if (typeof mine !== 'number' && typeof mine !== 'bigint') continue;
    compared++;
    if (BigInt(mine) !== value) mismatches.push(`${name}: ours ${mine}, wasi-libc ${value}`);
  }
  assert.deepEqual(mismatches, []);
  // All 77 errnos at least, plus rights, filetypes, flags.
  assert.ok(compared >= 150, `compared ${compared} constants`);
});
