// Keeps the layering of ARCHITECTURE.md honest by checking each arrow (layer -> layer) against an
// explicit table, not only a rank: `triggers/` sits above `engine/` and `host/`, yet may not
// import `host/` or `sandbox/` (the engine builds hosts; triggers turn events into invocations).
// Test files are exempt (they may reach across layers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';

/**
 * The layers each layer may import (besides itself). Anything not listed is refused.
 * - `cli/` and `index.ts` (the public API) sit on top and may use every layer.
 * - `embed/` (an app mounted in an embedder's server) sits beside `cli/`: it drives the same
 *   request handler as `serve` (triggers/http), so it may use triggers/, never host/ or sandbox/.
 * - `triggers/` and `plugin/` read the locked app and invoke the engine: never host/ or sandbox/
 *   (the plain grant types they pass on come re-exported from engine/grants.ts).
 * - `oci/` pushes and pulls apps: it reads the locked app and the loader (app/), nothing below.
 * - `app/` never imports `engine/`: the kind of a binary is its 8-byte preamble (app/loader.ts)
 *   and its digest a sha256, so resolving them needs no engine. `app/` -> `host/` only for the
 *   grant parsers a host service owns (`allowed_outbound_hosts`:
 *   host/http-outbound/allowed-hosts.ts), so that the locked app holds them parsed.
 * - `engine/` builds hosts (host/) over the capability core (sandbox/).
 * - `sandbox/` and `util/` import nothing of ours (`types/` is ambient declarations).
 */
const ALLOWED: Record<string, readonly string[]> = {
  'index.ts': ['cli', 'embed', 'triggers', 'plugin', 'oci', 'app', 'engine', 'host', 'sandbox', 'util', 'types'],
  cli: ['embed', 'triggers', 'plugin', 'oci', 'app', 'engine', 'host', 'sandbox', 'util', 'types'],
  embed: ['triggers', 'app', 'engine', 'util', 'types'],
  triggers: ['app', 'engine', 'util', 'types'],
  plugin: ['app', 'engine', 'util', 'types'],
  oci: ['app', 'util', 'types'],
  app: ['host', 'util', 'types'],
  engine: ['host', 'sandbox', 'util', 'types'],
  host: ['sandbox', 'util', 'types'],
  sandbox: [],
  util: [],
  types: [],
};

/** Whether a file of layer `from` may import one of layer `to`. */
function allowed(from: string, to: string): boolean {
  return from === to || (ALLOWED[from]?.includes(to) ?? false);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.case.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function layerOf(file: string): string {
  return relative(join(repoRoot, 'src'), file).split('/')[0]!;
}

test('the arrow table refuses what ARCHITECTURE.md refuses', () => {
  for (const [from, to] of [['triggers', 'host'], ['triggers', 'sandbox'], ['plugin', 'host'], ['embed', 'host'], ['embed', 'sandbox'], ['triggers', 'embed'], ['engine', 'app'], ['app', 'engine'],
    ['sandbox', 'util'], ['sandbox', 'host'], ['host', 'engine'], ['app', 'triggers'], ['util', 'sandbox']] as const) {
    assert.equal(allowed(from, to), false, `${from} -> ${to} must be refused`);
  }
  for (const [from, to] of [['triggers', 'engine'], ['triggers', 'app'], ['engine', 'host'], ['engine', 'sandbox'], ['host', 'sandbox']] as const) {
    assert.equal(allowed(from, to), true, `${from} -> ${to} must be allowed`);
  }
  const layers = readdirSync(join(repoRoot, 'src'));
  for (const layer of layers) assert.ok(layer in ALLOWED, `src/${layer} has no row in the arrow table`);
});

test('every import in src/ follows an allowed arrow', () => {
  const src = join(repoRoot, 'src');
  const files = sources(src);
  assert.ok(files.length > 20, 'found the sources');
  const violations: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(src)) continue;
      const to = layerOf(target);
      if (!allowed(from, to)) violations.push(`${relative(repoRoot, file)} (${from}) imports ${m[1]} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
});
