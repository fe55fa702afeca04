// `wasmlet new` with the JavaScript templates (componentize-js): http-js and kv-js are generated,
// built with `wasmlet build`, served, and answer (the built .wasm is memoized by the templates'
// hash: test/support/templates.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, startCliServer } from '../support/cli.ts';
import { memoizeBuild, newApp, reuseBuild } from '../support/templates.ts';

/** `wasmlet new`, `wasmlet build` (memoized), then `wasmlet up` with `extra` flags; runs `use` against it. */
async function withBuiltApp(template: string, name: string, extra: string[], use: (url: string) => Promise<void>): Promise<void> {
  const dir = await newApp(template, name);
  const wasm = `${name.replaceAll('-', '_')}.wasm`;
  try {
    reuseBuild(template, dir, wasm);
    const build = await runCli(['build', dir]);
    assert.equal(build.status, 0, build.stderr);
    assert.match(build.stdout, new RegExp(`^\\[${name}\\] (built|${wasm} is up to date)`, 'm'));
    memoizeBuild(template, dir, wasm);
    const server = await startCliServer(['up', dir, '--listen', '127.0.0.1:0', '--workers', '1', ...extra]);
    try {
      await use(server.url);
    } finally {
      server.proc.kill('SIGTERM');
    }
    assert.equal(await server.exit, 0);
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
}

test('new http-js: a wasi:http component that builds, serves and answers', async () => {
  await withBuiltApp('http-js', 'hello-js', [], async (url) => {
    const res = await fetch(`${url}/a/b?c=1`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Hello from hello-js! GET /a/b?c=1\n');
  });
});

test('new kv-js: a component on fermyon:spin/key-value that stores, reads and deletes', async () => {
  const state = mkdtempSync(join(tmpdir(), 'wasmlet-kv-state-'));
  try {
    await withBuiltApp('kv-js', 'kv-app', ['--state-dir', state], async (url) => {
      assert.equal((await fetch(`${url}/greeting`)).status, 404);
      const put = await fetch(`${url}/greeting`, { method: 'PUT', body: 'hi there' });
      assert.equal(put.status, 201);
      const got = await fetch(`${url}/greeting`);
      assert.equal(got.status, 200);
      assert.equal(await got.text(), 'hi there');
      assert.equal((await fetch(`${url}/greeting`, { method: 'DELETE' })).status, 200);
      assert.equal((await fetch(`${url}/greeting`)).status, 404);
    });
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});
