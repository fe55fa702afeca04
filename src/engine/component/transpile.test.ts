import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCComponent, buildCKeyValueComponent } from '../../../test/support/components.ts';
import { createWasiP2Host } from '../../host/wasi/p2/host.ts';
import { linkImports } from './instantiate.ts';
import { listCachedComponents, prepareComponent } from './transpile.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-transpile-test-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

test('transpile output is cached on disk by component hash and reused', async () => {
  const bytes = readFileSync(await buildCComponent('test/fixtures/components/c-hello/hello.c'));
  const first = await prepareComponent(bytes, { cacheDir });
  assert.equal(first.fromCache, false);
  assert.ok(first.timings.transpileMs > 0);
  const mtime = statSync(first.jsPath).mtimeMs;
  const second = await prepareComponent(bytes, { cacheDir });
  assert.equal(second.fromCache, true);
  assert.equal(second.timings.transpileMs, 0);
  assert.equal(second.jsPath, first.jsPath);
  assert.equal(statSync(second.jsPath).mtimeMs, mtime, 'cached files are not rewritten');
  assert.deepEqual(await listCachedComponents(cacheDir), [first.dir.split('/').at(-1)]);
  assert.ok(first.dir.includes(first.digest));
  assert.ok(second.coreModules.size > 0);
  for (const m of second.coreModules.values()) assert.ok(m instanceof WebAssembly.Module);
});

test('concurrent prepares of the same component publish one cache entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-transpile-race-'));
  try {
    const bytes = readFileSync(await buildCComponent('test/fixtures/components/c-hello/hello.c'));
    const results = await Promise.all([prepareComponent(bytes, { cacheDir: dir }), prepareComponent(bytes, { cacheDir: dir })]);
    assert.equal(results[0].jsPath, results[1].jsPath);
    assert.equal((await listCachedComponents(dir)).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('any wasi 0.2.x import is served by the 0.2 host; other imports are refused', () => {
  const host = createWasiP2Host().imports;
  const linked = linkImports(['wasi:io/streams', 'wasi:io/streams@0.2.10', 'wasi:io/streams@0.2.12', 'wasi:cli/environment@0.2.0'], host);
  assert.equal(linked['wasi:io/streams@0.2.10'], host['wasi:io/streams']);
  assert.equal(linked['wasi:io/streams@0.2.12'], host['wasi:io/streams']);
  assert.equal(linked['wasi:cli/environment@0.2.0'], host['wasi:cli/environment']);
  assert.throws(() => linkImports(['wasi:io/streams@0.3.0'], host), { code: 'WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED' });
  assert.throws(() => linkImports(['acme:kv/store@1.0.0'], host), { code: 'WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED', message: /acme:kv\/store/ });
});

test('bytes that are not a component are rejected with a typed error', async () => {
  const notComponent = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]); // a core module header
  await assert.rejects(prepareComponent(notComponent, { cacheDir }), { code: 'WASMLET_ERR_COMPONENT_INVALID', blame: 'guest' });
});

test("the cached glue has jco's per-call debug logger (a process.env read each call) removed", async () => {
  const prepared = await prepareComponent(readFileSync(await buildCComponent('test/fixtures/components/c-hello/hello.c')), { cacheDir });
  const js = readFileSync(prepared.jsPath, 'utf8');
  assert.ok(js.includes('const _debugLog = () => {};'), 'the logger is a no-op');
  assert.ok(!js.includes('process?.env?.JCO_DEBUG'), 'no process.env read left in the glue');
});

test('the glue of a component with async host imports skips the subtask drop that always threw', async () => {
  const prepared = await prepareComponent(readFileSync(await buildCKeyValueComponent()), { cacheDir });
  const js = readFileSync(prepared.jsPath, 'utf8');
  assert.ok(js.includes('if (!this.#waitable?.hasPendingEvent()) this.drop();'), 'the drop is guarded');
  assert.doesNotMatch(js, /\n\s*this\.drop\(\);\s*\}\s*catch \(err\) \{\s*_debugLog\('\[AsyncSubtask#onResolve/, 'no unguarded drop left');
});

test("the cache key names the transpiler's version; the glue imports no package (no WASI shim), only node: builtins", async () => {
  const prepared = await prepareComponent(readFileSync(await buildCComponent('test/fixtures/components/c-hello/hello.c')), { cacheDir });
  const pkg = join(fileURLToPath(import.meta.resolve('@bytecodealliance/jco-transpile')), '../../package.json');
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  assert.ok(prepared.dir.endsWith(`${prepared.digest}-jco-transpile${version}-v5`), prepared.dir);
  const js = readFileSync(prepared.jsPath, 'utf8');
  // wasmlet passes every WASI import to instantiate(); a shim import would need preview2-shim at run time.
  assert.doesNotMatch(js, /^\s*import\b|@bytecodealliance\//m);
  const dynamic = [...js.matchAll(/\bimport\(\s*['"]([^'"]*)['"]/g)].map((m) => m[1]);
  assert.ok(dynamic.every((s) => s?.startsWith('node:')), `dynamic imports: ${dynamic.join(', ')}`);
  assert.match(js, /^export function instantiate\(getCoreModule, imports/m);
});
