// Apps for the Redis and cron trigger tests: a spin.toml in a temp dir around a fixture component,
// a Redis client for the test's side of the conversation, and polling helpers that wait on what
// the guests wrote (no fixed sleeps).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { loadApp } from '../../src/app/loader.ts';
import type { LockedApp } from '../../src/app/locked-app.ts';
import { buildDir } from './fixtures.ts';

/** Where these tests' components are transpiled: kept across runs (the app dirs are temporary). */
export const TEST_CACHE_DIR = join(buildDir, 'wasmlet-cache');

/** Loads the app of `manifest` (see {@link appDir}) with its cache in {@link TEST_CACHE_DIR}. */
export async function loadTestApp(t: { after(fn: () => void): void }, manifest: string): Promise<LockedApp> {
  const app = await loadApp(appDir(t, manifest));
  app.cacheDir = TEST_CACHE_DIR;
  return app;
}

/** Writes `spin.toml` (the given text) into a fresh temp dir; removed after the test. */
export function appDir(t: { after(fn: () => void): void }, manifest: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-redis-app-'));
  writeFileSync(join(dir, 'spin.toml'), manifest);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A connected test client to `url`, closed after the test. */
export async function redisClient(t: { after(fn: () => void | Promise<void>): void }, url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  t.after(() => { client.destroy(); });
  return client;
}

/**
 * Calls `probe` every 25 ms until it returns a value other than undefined, and returns it.
 * @throws after `limitMs` (default 30 s), with `what` in the message: a function is called only
 *   then, so logs in it are the ones at the timeout, not (empty or stale) at the call.
 */
export async function waitFor<T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch { /* Redis restarting: try again */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
