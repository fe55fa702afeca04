// Real third-party programs (Lua 5.4, zlib's minigzip) built from Debian's source packages by
// scripts/build-third-party.sh, for wasm32-wasi and natively, so a test can compare a guest's output
// with the same program built for the host.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir, repoRoot } from './fixtures.ts';

/** Absolute paths of the built programs. */
export interface ThirdPartyPrograms {
  /** Lua 5.4 interpreter, wasm32-wasi command module. */
  luaWasm: string;
  /** The same Lua sources built with the host's cc (an executable). */
  luaNative: string;
  /** zlib's minigzip, wasm32-wasi command module. */
  minigzipWasm: string;
  /** zlib's minigzip built with the host's cc (an executable). */
  minigzipNative: string;
}

const script = join(repoRoot, 'scripts/build-third-party.sh');
const portDir = join(repoRoot, 'test/fixtures/third-party/wasi-port');
const outRoot = join(buildDir, 'third-party');

/** The hash the build script puts in its output key: the script, then wasi-port/* sorted by name. */
function scriptHash(): string {
  const hash = createHash('sha256').update(readFileSync(script));
  const names = readdirSync(portDir).sort((a, b) => (Buffer.from(a).compare(Buffer.from(b))));
  for (const name of names) hash.update(readFileSync(join(portDir, name)));
  return hash.digest('hex').slice(0, 12);
}

function fromManifest(path: string): ThirdPartyPrograms | undefined {
  if (!existsSync(path)) return undefined;
  const m = JSON.parse(readFileSync(path, 'utf8')) as ThirdPartyPrograms;
  const all = [m.luaWasm, m.luaNative, m.minigzipWasm, m.minigzipNative];
  return all.every((p) => typeof p === 'string' && existsSync(p)) ? m : undefined;
}

/**
 * Returns the built programs, running scripts/build-third-party.sh first (synchronously; about 15 s
 * on 2 cores, a no-op once built) when an output is missing or the script or its port files changed.
 * Throws an Error naming the missing tool (apt-get source, clang, wasi-libc, cc) and the fix when the
 * build cannot run.
 */
export function ensureThirdParty(): ThirdPartyPrograms {
  const hash = scriptHash();
  if (existsSync(outRoot)) {
    for (const name of readdirSync(outRoot)) {
      if (!name.endsWith(`+${hash}`)) continue;
      const found = fromManifest(join(outRoot, name, 'manifest.json'));
      if (found) return found;
    }
  }
  let stdout: string;
  try {
    stdout = execFileSync('bash', [script], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(
      `scripts/build-third-party.sh failed: ${stderr || String(error)}\n` +
        'It needs apt-get with deb-src entries, dpkg-dev, clang, wasi-libc and cc: run scripts/install-deps.sh as root.',
      { cause: error },
    );
  }
  const manifest = stdout.trim().split('\n').at(-1) ?? '';
  const built = fromManifest(manifest);
  if (!built) throw new Error(`scripts/build-third-party.sh printed '${manifest}', which is not a complete build manifest`);
  return built;
}
