// Plain-data descriptions of the directories a guest is given. Structured-clone safe (the
// host-dir form), so they can cross a worker boundary.
import { HostDirVfs } from './host-dir-vfs.ts';
import type { Vfs } from './vfs.ts';

/** A host directory granted to the guest at `guestPath` (e.g. `/data` or `.`). */
export interface PreopenSpec {
  guestPath: string;
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

/** The Vfs behind a preopen spec (a HostDirVfs is built lazily-resolving: no syscall here). */
export function vfsOfPreopen(spec: AnyPreopenSpec): Vfs {
  return 'vfs' in spec ? spec.vfs : new HostDirVfs(spec.hostPath);
}
