// Builds test fixtures from source, memoized on disk by a hash of the inputs, so a rerun of the
// suite compiles nothing that has not changed. Every fixture is real Wasm from a real toolchain:
// WAT through the `wabt` npm package, C through clang + wasi-libc, AssemblyScript through `asc`.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where built fixtures are kept (git-ignored). */
export const buildDir = join(repoRoot, 'test/fixtures/.build');

function memo(kind: string, inputs: (string | Uint8Array)[], ext: string, build: (out: string) => void): string {
  const hash = createHash('sha256');
  hash.update(kind);
  for (const input of inputs) hash.update(input).update('\0');
  const out = join(buildDir, `${kind}-${hash.digest('hex').slice(0, 16)}${ext}`);
  if (existsSync(out)) return out;
  mkdirSync(buildDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  build(tmp);
  renameSync(tmp, out); // atomic: parallel test files never see a half-written fixture
  return out;
}

/** Compiles a `.wat` file (path relative to the repo root or absolute) to a `.wasm`; returns its path. */
export async function buildWat(watPath: string, features: Record<string, boolean> = {}): Promise<string> {
  const src = readFileSync(resolve(repoRoot, watPath), 'utf8');
  const key = JSON.stringify(features);
  const bytes = await watToBytes(src, features);
  return memo('wat', [src, key], '.wasm', (tmp) => writeFileSync(tmp, bytes));
}

/** Compiles WAT source text (not a file) to Wasm bytes; for small inline test modules. */
export async function watToBytes(src: string, features: Record<string, boolean> = {}): Promise<Uint8Array> {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const parsed = wabt.parseWat('inline.wat', src, { multi_value: true, bulk_memory: true, ...features });
  const { buffer } = parsed.toBinary({ write_debug_names: true });
  parsed.destroy();
  return buffer;
}

/**
 * Compiles C sources with clang + wasi-libc (`--target=wasm32-wasi --sysroot=/usr`); returns the
 * `.wasm` path. `flags` are passed to clang after the defaults (`-O2`).
 */
export function buildC(sources: string | string[], flags: string[] = []): string {
  const files = (Array.isArray(sources) ? sources : [sources]).map((s) => resolve(repoRoot, s));
  const inputs = [...files.map((f) => readFileSync(f)), ...flags];
  return memo('c', inputs, '.wasm', (tmp) => {
    execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', ...flags, ...files, '-o', tmp], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });
}

/** Compiles C sources natively with the host's cc, for comparing a guest's output with the real thing. */
export function buildNativeC(sources: string | string[], flags: string[] = []): string {
  const files = (Array.isArray(sources) ? sources : [sources]).map((s) => resolve(repoRoot, s));
  const inputs = [...files.map((f) => readFileSync(f)), ...flags];
  return memo('native', inputs, '', (tmp) => {
    execFileSync('cc', ['-O2', ...flags, ...files, '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
  });
}

/** Compiles an AssemblyScript entry file with `asc` and the `@assemblyscript/wasi-shim`; returns the `.wasm` path. */
export function buildAssemblyScript(entry: string, flags: string[] = []): string {
  const file = resolve(repoRoot, entry);
  const inputs = [readFileSync(file), ...flags];
  return memo('as', inputs, '.wasm', (tmp) => {
    execFileSync(join(repoRoot, 'node_modules/.bin/asc'), [
      // asc resolves the config's `lib` wrongly when the config path is absolute: pass it relative to cwd.
      file, '--config', 'node_modules/@assemblyscript/wasi-shim/asconfig.json',
      '--optimizeLevel', '2', '--outFile', tmp, ...flags,
    ], { stdio: ['ignore', 'inherit', 'inherit'], cwd: repoRoot });
  });
}
