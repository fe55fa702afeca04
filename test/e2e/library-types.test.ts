// The library entry point ships type declarations a consumer can compile against with Node's
// types only (no DOM lib): dist/index.d.ts, built by `npm run build`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';

test('a strict TypeScript consumer type-checks against dist/index.d.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-types-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2024'],
        types: ['node'], typeRoots: [join(repoRoot, 'node_modules/@types')], strict: true, noEmit: true,
      },
      include: ['main.ts'],
    }));
    const entry = join(repoRoot, 'dist/index.js');
    writeFileSync(join(dir, 'main.ts'), `
import { runWasi, WasmletError, ERROR_CODES, type RunWasiResult, type PreopenSpec, type WasmletErrorCode } from '${entry}';
const preopens: PreopenSpec[] = [{ hostPath: '.', guestPath: '/', readOnly: true }];
const result: Promise<RunWasiResult> = runWasi(new Uint8Array(8), { args: ['x'], preopens, stdout: 'collect' });
result.then((r) => r.exitCode + (r.stdout?.byteLength ?? 0), (e: unknown) => e instanceof WasmletError && e.code);
// A wrong option type must be rejected, or this check proves nothing.
// @ts-expect-error maxMemoryBytes is a number of bytes
runWasi(new Uint8Array(8), { maxMemoryBytes: '64MiB' });
const timeout: WasmletErrorCode = 'WASMLET_ERR_TIMEOUT';
const status: number = ERROR_CODES[timeout].httpStatus + ERROR_CODES.WASMLET_ERR_TRAP.exitStatus;
// A misspelt code must be rejected.
// @ts-expect-error not a registered code
const typo = new WasmletError('WASMLET_ERROR_TIMEOUT', 'misspelt');
export { status, typo };
`);
    const out = execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    assert.equal(out.trim(), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
