// The published build (dist/) for tests that run wasmlet the way a user does: `bin/wasmlet.js`, or
// `import ... from 'wasmlet'` (the package's own exports). `npm test` builds dist/ first; a
// single-file run rebuilds it here when src/ is newer.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './fixtures.ts';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Rebuilds dist/ (`tsc -p tsconfig.build.json`) unless it is newer than every source file.
 * @throws Error when the build fails or leaves no `dist/cli/main.js`.
 */
export function ensureDist(): void {
  const main = join(repoRoot, 'dist/cli/main.js');
  let built = 0;
  try { built = statSync(main).mtimeMs; } catch { /* not built yet */ }
  if (built >= newestMtime(join(repoRoot, 'src'))) return;
  const tsc = spawnSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: repoRoot, encoding: 'utf8' });
  if (tsc.status !== 0 || !statSync(main, { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`building dist/ failed:\n${tsc.stdout}${tsc.stderr}`);
  }
}
