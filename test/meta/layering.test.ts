// Keeps the layering of ARCHITECTURE.md honest: a layer imports only layers below it, and
// `sandbox/` imports nothing of ours. Test files are exempt (they may reach across layers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';

/**
 * Higher imports lower. `triggers` reads the app model (`app/locked-app.ts`), so it sits above `app`;
 * `oci` pushes and pulls apps (it reads the locked app and the loader), so it sits above `app` too.
 */
const RANK: Record<string, number> = {
  'index.ts': 9, cli: 8, plugin: 7, triggers: 7, oci: 6.5, app: 6, engine: 5, host: 4, util: 1, types: 1, sandbox: 0,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.case.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function layerOf(file: string): string {
  return relative(join(repoRoot, 'src'), file).split('/')[0]!;
}

test('every import in src/ points down the layers', () => {
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
      if (to === from) continue;
      const ok = from === 'sandbox' ? false : (RANK[from] ?? -1) > (RANK[to] ?? 99);
      if (!ok) violations.push(`${relative(repoRoot, file)} (${from}) imports ${m[1]} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
});
