// examples/plugin-extism: its C plugin (built here) run by its host script through the published
// entry point (`import ... from 'wasmlet'`, i.e. dist/, built by `npm test`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildC, repoRoot } from '../support/fixtures.ts';

test('examples/plugin-extism: host function called, output JSON, looping call stopped by timeoutMs', () => {
  const wasm = buildC('examples/plugin-extism/plugin.c', ['-mexec-model=reactor']);
  const out = execFileSync(process.execPath, [join(repoRoot, 'examples/plugin-extism/host.ts'), wasm], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(out, "{ count: 4 }\nhost saw [ 4n ]\n{ count: 5 }\nspin: EXTISM: call canceled due to timeout\n");
});
