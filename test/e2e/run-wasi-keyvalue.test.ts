// A C `wasi:cli` command importing `wasi:keyvalue/store@0.2.0-draft2`
// (test/fixtures/components/c-keyvalue): it links and runs under `wasmlet run`, where no store is
// granted (`no-such-store`), and with a granted store through the engine `run` uses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callbackSink } from '../../src/host/wasi/p2/cli.ts';
import { SpinThreadBackends } from '../../src/engine/component/component-host.ts';
import { runComponentCommand } from '../../src/engine/component/run-command.ts';
import { prepareComponent } from '../../src/engine/component/transpile.ts';
import { openSqliteKeyValueBackend } from '../../src/host/kv/sqlite-store.ts';
import { buildCKeyValueComponent } from '../support/components.ts';
import { repoRoot } from '../support/fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'wasmlet-run-wasi-kv-'));
let wasm = '';
before(async () => { wasm = await buildCKeyValueComponent(); });
after(() => rmSync(work, { recursive: true, force: true }));

test('wasmlet run: the component links; with no store granted, open is no-such-store (exit 1)', () => {
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/node'), ['test/fixtures/serve/wasmlet-cli.ts', 'run', wasm, 'default', '3'],
    { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, WASMLET_CACHE_DIR: join(work, 'cache') } });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'error no-such-store\n');
  assert.equal(r.status, 1);
});

test('the engine run uses, with `default` granted: 50 set+get rounds land in the SQLite store', async () => {
  const prepared = await prepareComponent(readFileSync(wasm), { cacheDir: join(work, 'cache') });
  const backends = new SpinThreadBackends();
  const path = join(work, 'kv.db');
  const spin = {
    options: { componentId: 'cmd', keyValueStores: ['default'], knownKeyValueStores: ['default', 'cache'], keyValueBackends: { default: { type: 'spin' as const, path } } },
    backends,
  };
  const run = async (args: string[]) => {
    let stdout = '';
    const code = await runComponentCommand(prepared, { args: ['kv', ...args], stdout: callbackSink((b) => { stdout += Buffer.from(b).toString(); }), spin });
    return { code, stdout };
  };
  try {
    assert.deepEqual(await run(['default', '50']), { code: 0, stdout: 'ok 50\n' });
    assert.deepEqual(await run(['cache', '1']), { code: 1, stdout: 'error access-denied\n' });
  } finally {
    await backends.close();
  }
  const backend = openSqliteKeyValueBackend({ path });
  try {
    const store = await backend.open('default');
    assert.equal((await store.getKeys()).length, 50);
    assert.deepEqual(await store.get('bench:49'), new Uint8Array(64).fill(7));
  } finally {
    await backend.close();
  }
});
