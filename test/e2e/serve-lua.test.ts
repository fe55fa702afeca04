// A real interpreter as a WAGI guest: Debian's Lua 5.4 (built for wasm32-wasi from its source
// package) serving a CGI script from a read-only `files` mount, with the script named in the
// route's WAGI argv template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import { ensureThirdParty } from '../support/third-party.ts';

test('serves a Lua CGI script through lua.wasm', async () => {
  const { luaWasm } = ensureThirdParty();
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-lua-'));
  copyFileSync(luaWasm, join(dir, 'lua.wasm'));
  cpSync(new URL('../fixtures/serve/lua', import.meta.url), join(dir, 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'wasmlet.toml'), `spin_manifest_version = 2
[application]
name = "lua"
[[trigger.http]]
route = "/lua/..."
component = "lua"
executor = { type = "wagi", argv = "\${SCRIPT_NAME} /scripts/hello.lua \${ARGS}" }
[component.lua]
source = "lua.wasm"
files = [{ source = "scripts", destination = "/scripts" }]
`);
  const server = await startHttpServer({
    app: await loadApp(dir), host: '127.0.0.1', port: 0, workers: 1, log: createServerLog('text', () => {}),
  });
  try {
    const res = await fetch(`${server.url}/lua/some/path?one&two`, { method: 'PUT', body: 'from the client' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(await res.text(), [
      'Hello from Lua 5.4!', 'method=PUT', 'path_info=/some/path', 'args=one,two', 'body=from the client', '',
    ].join('\n'));
  } finally {
    await server.close(1000);
  }
});
