// wasi:filesystem@0.2.x. Phase 1: no preopens (deny by default), so no descriptor can exist.
// The sandbox core (src/sandbox: descriptor table, vfs, confinement) plugs in later through
// `FilesystemProvider`: an adapter that maps `Descriptor` methods onto the version-neutral core and
// maps its errors to `wasi:filesystem/types.error-code` with ONE table.

/** `wasi:filesystem/types.error-code` values thrown to the guest. */
export type FilesystemErrorCode =
  | 'access' | 'would-block' | 'already' | 'bad-descriptor' | 'busy' | 'deadlock' | 'quota' | 'exist'
  | 'file-too-large' | 'illegal-byte-sequence' | 'in-progress' | 'interrupted' | 'invalid' | 'io'
  | 'is-directory' | 'loop' | 'too-many-links' | 'message-size' | 'name-too-long' | 'no-device'
  | 'no-entry' | 'no-lock' | 'insufficient-memory' | 'insufficient-space' | 'not-directory'
  | 'not-empty' | 'not-recoverable' | 'unsupported' | 'no-tty' | 'no-such-device' | 'overflow'
  | 'not-permitted' | 'pipe' | 'read-only' | 'invalid-seek' | 'text-file-busy' | 'cross-device';

/**
 * What the p2 host needs from a filesystem implementation: the `wasi:filesystem/types` and
 * `wasi:filesystem/preopens` interface objects, built per instance.
 */
export interface FilesystemProvider {
  /** `wasi:filesystem/types`: `{ Descriptor, DirectoryEntryStream, filesystemErrorCode }`. */
  types: object;
  /** `wasi:filesystem/preopens`: `{ getDirectories(): [Descriptor, string][] }`. */
  preopens: object;
}

/** A descriptor that supports nothing (every method fails with `unsupported`). */
class Descriptor {
  #unsupported(): never {
    throw 'unsupported' satisfies FilesystemErrorCode;
  }
  readViaStream(): never { return this.#unsupported(); }
  writeViaStream(): never { return this.#unsupported(); }
  appendViaStream(): never { return this.#unsupported(); }
  getType(): never { return this.#unsupported(); }
  stat(): never { return this.#unsupported(); }
  statAt(): never { return this.#unsupported(); }
  openAt(): never { return this.#unsupported(); }
  read(): never { return this.#unsupported(); }
  write(): never { return this.#unsupported(); }
  readDirectory(): never { return this.#unsupported(); }
}

class DirectoryEntryStream {
  readDirectoryEntry(): undefined { return undefined; }
}

/** The default provider: no preopens, so the guest has no filesystem at all. */
export function createNoFilesystem(): FilesystemProvider {
  return {
    types: { Descriptor, DirectoryEntryStream, filesystemErrorCode: (): undefined => undefined },
    preopens: { getDirectories: (): [] => [] },
  };
}
