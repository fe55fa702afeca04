// An app that could never answer a request is refused when it loads (`serve` exits 125), with a
// message naming the component, what is wrong and the manifest key or import involved: a module
// whose initial memory is over `limits.memory`, a module or component importing what wasmlet
// does not provide. (Before: the server started and every request answered 500.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import { isWasmletError } from '../../src/util/errors.ts';
import { repoRoot, watToBytes } from '../support/fixtures.ts';

const quietLog = createServerLog('text', () => {});

/** A temp app with `api.wasm` (the given bytes) on `/...`, with `extra` manifest lines for it. */
function appWith(t: { after: (fn: () => void) => void }, wasm: Uint8Array, extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-load-errors-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'api.wasm'), wasm);
  writeFileSync(join(dir, 'wasmlet.toml'), [
    'spin_manifest_version = 2', '[application]', 'name = "a"',
    '[[trigger.http]]', 'route = "/..."', 'component = "api"',
    '[component.api]', 'source = "api.wasm"', ...extra, '',
  ].join('\n'));
  return dir;
}

/** Loads and starts `dir`, expecting the start to fail; returns the error. */
async function startError(dir: string): Promise<Error & { code?: string }> {
  const app = await loadApp(dir);
  try {
    const server = await startHttpServer({ app, host: '127.0.0.1', port: 0, workers: 1, log: quietLog });
    await server.close(1000);
  } catch (err) {
    assert.ok(isWasmletError(err), String(err));
    return err;
  }
  assert.fail('the server started');
}

test('a module whose initial memory is over limits.memory names the component and the manifest key', async (t) => {
  // 100 pages = 6.25 MiB of initial memory, against a 1 MiB limit.
  const wasm = await watToBytes('(module (memory 100) (func (export "_start")))');
  const err = await startError(appWith(t, wasm, ['limits = { memory = "1MiB" }']));
  assert.equal(err.code, 'WASMLET_ERR_MEMORY_LIMIT');
  assert.match(err.message, /^component 'api': the module needs 100 pages \(6553600 bytes\) of initial memory, more than the memory limit of 1048576 bytes \(limits\.memory of \[component\.api\]\); raise limits\.memory of \[component\.api\]/);
  assert.doesNotMatch(err.message, /--max-memory/);
});

test('a WAGI module importing what the WASI preview1 host lacks is refused at load, naming component and import', async (t) => {
  const wasm = await watToBytes('(module (import "env" "get_secret" (func (result i32))) (memory 1) (func (export "_start")))');
  const err = await startError(appWith(t, wasm));
  assert.equal(err.code, 'WASMLET_ERR_UNKNOWN_IMPORT');
  assert.match(err.message, /^component 'api': unknown import `env\.get_secret` \(function\): wasmlet provides only WASI preview1/);

  // The CLI: one error line, exit 125, no server.
  const dir = appWith(t, wasm);
  const r = spawnSync(process.execPath, ['test/fixtures/serve/wasmlet-cli.ts', 'serve', dir, '--listen', '127.0.0.1:0'],
    { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 125, r.stderr);
  assert.match(r.stderr, /^wasmlet: error: component 'api': unknown import `env\.get_secret`/);
  assert.doesNotMatch(r.stdout, /listening on/);
});

/**
 * A component (WAT text, parsed by jco's wasm-tools) that imports `iface` (one function, which its
 * core module uses, else jco would drop the import) and exports nothing.
 */
async function componentImporting(iface: string): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  return parse(`(component
    (import "${iface}" (instance $i (export "frob" (func))))
    (core module $m (import "x" "frob" (func)))
    (core func $f (canon lower (func $i "frob")))
    (core instance $x (export "frob" (func $f)))
    (core instance (instantiate $m (with "x" (instance $x)))))`);
}

test('a component importing an interface wasmlet does not provide is refused at load, naming component and interface', async (t) => {
  const err = await startError(appWith(t, await componentImporting('acme:widgets/frob@1.0.0')));
  assert.equal(err.code, 'WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED');
  assert.match(err.message, /^component 'api' imports acme:widgets\/frob(@1\.0\.0)?, which wasmlet does not provide; build it for the wasi:http\/proxy world/);

  // Spin 2 host interfaces are provided: the same component importing one gets past the import
  // check (and is refused for what it lacks next: the wasi:http export).
  const spin = await startError(appWith(t, await componentImporting('fermyon:spin/key-value@2.0.0')));
  assert.equal(spin.code, 'WASMLET_ERR_COMPONENT_NOT_HTTP', spin.message);
});
