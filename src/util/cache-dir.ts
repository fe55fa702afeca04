// Where components' transpile output is cached: one rule for `wasmlet run`, `wasmlet serve` and
// the library (README, "WASMLET_CACHE_DIR").
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The transpile cache root: `$WASMLET_CACHE_DIR` when set (non-empty), else `<base>/.wasmlet/cache`.
 * `base` is the app directory for `serve`, the component's directory for `run`, and the current
 * directory (the default, `.`) for the library.
 * @param env the environment to read (default `process.env`).
 */
export function defaultCacheDir(base = '.', env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['WASMLET_CACHE_DIR'];
  return fromEnv ? fromEnv : join(base, '.wasmlet', 'cache');
}

/**
 * The cache root used when the chosen one cannot be written (a read-only checkout or image):
 * `<os tmpdir>/wasmlet-cache`.
 */
export function fallbackCacheDir(): string {
  return join(tmpdir(), 'wasmlet-cache');
}
