// The content-addressed cache of pulled artifacts:
//   <root>/blobs/sha256/<hex>       every verified blob (written only after its digest matched)
//   <root>/apps/sha256-<hex>/       a runnable app dir per manifest digest (renamed in when complete)
import { homedir } from 'node:os';
import { join } from 'node:path';
import { digestHex } from './digest.ts';

/**
 * The registry cache root: `$WASMLET_CACHE_DIR/oci` when set (non-empty), else
 * `$XDG_CACHE_HOME/wasmlet/oci`, else `~/.cache/wasmlet/oci`.
 */
export function ociCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['WASMLET_CACHE_DIR']) return join(env['WASMLET_CACHE_DIR'], 'oci');
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'wasmlet', 'oci');
}

/** Where a verified blob lives. */
export function blobPath(root: string, digest: string): string {
  return join(root, 'blobs', 'sha256', digestHex(digest));
}

/** Where the app of a manifest is materialized. */
export function appPath(root: string, manifestDigest: string): string {
  return join(root, 'apps', `sha256-${digestHex(manifestDigest)}`);
}
