// Turns a component's `files` (read-only mounts, plain data from the locked app) into the preopens
// a guest host is built from. Done once per unit at prepare time, never per invocation.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PreopenSpec } from '../sandbox/preopen.ts';

/** One read-only mount: an absolute host file or directory at an absolute guest path. */
export interface FileMount {
  hostPath: string;
  guestPath: string;
}

/**
 * Preopens for `mounts`: directories are preopened in place (read-only); single files are copied
 * into one staging directory mirroring their guest paths, preopened at `/` (a preopen is a
 * directory, and preopening the file's real parent would expose its siblings). Spin's `files`
 * semantics (spin-manifest `component.files`).
 * @returns the preopens and `cleanup`, which removes the staging directory (call it once the
 *   unit is done).
 * @throws Node fs errors when a mount's host path is gone or the staging copy fails.
 */
export function stageFileMounts(mounts: readonly FileMount[]): { preopens: PreopenSpec[]; cleanup: () => void } {
  const preopens: PreopenSpec[] = [];
  let staging: string | undefined;
  for (const mount of mounts) {
    if (statSync(mount.hostPath).isDirectory()) {
      preopens.push({ guestPath: mount.guestPath, hostPath: mount.hostPath, readOnly: true });
      continue;
    }
    staging ??= mkdtempSync(join(tmpdir(), 'wasmlet-files-'));
    const target = join(staging, mount.guestPath);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(mount.hostPath, target);
  }
  if (staging) preopens.push({ guestPath: '/', hostPath: staging, readOnly: true });
  const dir = staging;
  return { preopens, cleanup: () => { if (dir) rmSync(dir, { recursive: true, force: true }); } };
}
