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
// The embedding API: an app in an existing server, component plugins.
import { loadApp, createHandler, createComponentPlugin, ComponentError, type WasmletApp, type NodeHandler } from '${entry}';
const app: Promise<WasmletApp> = loadApp('.', { workers: 2, maxBodyBytes: 1024, log: { access: (r) => r.status } });
app.then((a) => { const h: NodeHandler = createHandler(a); const r: Promise<Response> = a.fetch(new Request('http://x/')); return [h, r, a.close(100)]; });
const plugin = createComponentPlugin(new Uint8Array(8), { imports: { 'a:b/c': { f: (x: string) => x } }, limits: { timeoutMs: 5, memoryBytes: 1 << 20 } });
plugin.then((p) => p.mode === 'worker' && p.exports, (e: unknown) => e instanceof ComponentError && e.payload);
// @ts-expect-error timeoutMs is a number of milliseconds
createComponentPlugin(new Uint8Array(8), { limits: { timeoutMs: '1s' } });
export { status, typo };
`);
    const out = execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    assert.equal(out.trim(), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
