// Apps made by `wasmlet new` for the template tests, in a fresh folder under test/fixtures/.build/
// (inside the repository, so that the npm build scripts find componentize-js and AssemblyScript in
// the repository's node_modules, as they would in the app's own after `npm install`).
// componentize-js takes 15-30 s per build: the JavaScript templates' built .wasm is memoized by a
// hash of every file under templates/ and the componentize-js version, and copied into the new app
// before `wasmlet build`, whose build script then finds it up to date; on a cache miss the build
// runs componentize-js for real and its output is stored.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir, repoRoot } from './fixtures.ts';
import { runCli } from './cli.ts';

/** A hash of every file under templates/ and the versions of the toolchain packages. */
function templatesHash(): string {
  const root = join(repoRoot, 'templates');
  const hash = createHash('sha256');
  for (const f of readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort()) {
    hash.update(f.slice(root.length)).update(readFileSync(f)).update('\0');
  }
  for (const pkg of ['@bytecodealliance/componentize-js', 'assemblyscript']) {
    hash.update(readFileSync(join(repoRoot, 'node_modules', pkg, 'package.json')));
  }
  return hash.digest('hex').slice(0, 16);
}

/** A new app made from `template` (`wasmlet new TEMPLATE NAME -o DIR`); returns DIR. */
export async function newApp(template: string, name: string): Promise<string> {
  const parent = join(buildDir, 'new-apps');
  mkdirSync(parent, { recursive: true });
  const dir = join(mkdtempSync(join(parent, `${template}-`)), 'app');
  const result = await runCli(['new', template, name, '-o', dir]);
  if (result.status !== 0) throw new Error(`wasmlet new ${template} failed (${result.status}): ${result.stderr}`);
  return dir;
}

/** Where the built `.wasm` of `template` is memoized. */
function memoPath(template: string): string {
  return join(buildDir, `template-${template}-${templatesHash()}.wasm`);
}

/** Copies the memoized build output of `template` into `dir` as `file` (when there is one). */
export function reuseBuild(template: string, dir: string, file: string): void {
  if (existsSync(memoPath(template))) copyFileSync(memoPath(template), join(dir, file));
}

/** Stores `dir/file`, just built, as the memoized build output of `template`. */
export function memoizeBuild(template: string, dir: string, file: string): void {
  const tmp = `${memoPath(template)}.${process.pid}.tmp`;
  copyFileSync(join(dir, file), tmp);
  renameSync(tmp, memoPath(template));
}
