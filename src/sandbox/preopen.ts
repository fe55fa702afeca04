// Plain-data descriptions of the directories a guest is given. Structured-clone safe (the
// host-dir form), so they can cross a worker boundary.
import { HostDirGroup, HostDirVfs } from './host-dir-vfs.ts';
import type { Vfs } from './vfs.ts';

/** A host directory granted to the guest at `guestPath` (e.g. `/data` or `.`). */
export interface PreopenSpec {
  /** The name the guest sees (`fd_prestat_dir_name` in p1, `wasi:filesystem/preopens` in p2). */
  guestPath: string;
  /** An existing host directory; nothing outside it is reachable (`..`, absolute paths and symlinks are confined). */
  hostPath: string;
  /** Deny every mutation under it (create, write-open, truncate, mkdir, unlink, rename, ...). */
  readOnly: boolean;
}

/** A Vfs (e.g. a MemoryVfs) granted to the guest at `guestPath`; for tests and embedders. */
export interface VfsPreopenSpec {
  guestPath: string;
  vfs: Vfs;
  readOnly?: boolean;
}

/** Either kind of preopen. */
export type AnyPreopenSpec = PreopenSpec | VfsPreopenSpec;

/**
 * The Vfs behind a preopen spec (a HostDirVfs is built lazily-resolving: no syscall here).
 * `group` joins it to the other host-directory preopens of the same guest instance (see
 * HostDirGroup); use `preopenVfses` for a guest's whole list.
 */
export function vfsOfPreopen(spec: AnyPreopenSpec, group?: HostDirGroup): Vfs {
  return 'vfs' in spec ? spec.vfs : new HostDirVfs(spec.hostPath, group);
}

/**
 * The Vfs of each of ONE guest instance's preopens, in order. The host-directory ones share a
 * HostDirGroup, so preopens that overlap on the host stay confined when the guest mutates one
 * of them (a symlink planted through one is never followed through another). No syscall.
 */
export function preopenVfses(specs: readonly AnyPreopenSpec[]): Vfs[] {
  const group = new HostDirGroup();
  return specs.map((spec) => vfsOfPreopen(spec, group));
}
