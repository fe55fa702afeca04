// The virtual filesystem interface the sandbox core drives. A Vfs never sees a guest path: the
// resolver (resolve.ts) has already walked the guest's path component by component, confined it
// to the preopen, and expanded every symlink, so a `rel` path handed to a Vfs is canonical
// (`a/b/c`, `''` for the root), has no `.`/`..`, and its parent components are real directories.
// Every method throws `FsError` or a Node fs error (with `code`) on failure.

/** File types, with WASI 0.2 names (p1 maps them to `FILETYPE_*`). */
export type FileType =
  | 'unknown' | 'block-device' | 'character-device' | 'directory' | 'fifo' | 'symbolic-link'
  | 'regular-file' | 'socket';

/** Metadata of a node. Times in nanoseconds since the Unix epoch. */
export interface VfsStat {
  type: FileType;
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  size: bigint;
  atimNs: bigint;
  mtimNs: bigint;
  ctimNs: bigint;
}

/** A new timestamp: nanoseconds since the epoch, `'now'`, or `null` for "leave unchanged". */
export type TimeSpec = bigint | 'now' | null;

/** One directory entry (without `.` and `..`). */
export interface VfsDirEntry {
  name: string;
  type: FileType;
  ino: bigint;
}

/** How to open a node. `write`/`create`/`truncate` are refused earlier for read-only preopens. */
export interface VfsOpenOptions {
  read: boolean;
  write: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  /** Fail with ENOTDIR unless the node is a directory. */
  directory: boolean;
}

/**
 * An open regular file (an inode handle; the open-file description with its position lives in
 * descriptor.ts). Positions and sizes are byte offsets as JS numbers (< 2^53).
 */
export interface VfsFile {
  /** Reads up to `length` bytes at `position` into `buf[offset..]`; returns bytes read (0 at EOF). */
  read(buf: Uint8Array, offset: number, length: number, position: number): number;
  /** Writes `buf[offset..offset+length]` at `position`; returns bytes written. */
  write(buf: Uint8Array, offset: number, length: number, position: number): number;
  stat(): VfsStat;
  setSize(size: number): void;
  setTimes(atime: TimeSpec, mtime: TimeSpec): void;
  sync(): void;
  datasync(): void;
  close(): void;
}

/** A filesystem tree a preopen exposes. */
export interface Vfs {
  /** Metadata without following a final symlink. */
  lstat(rel: string): VfsStat;
  /**
   * Cheap type probe for the resolver: the node's type without following a final symlink, or
   * null when it does not exist. Optional; the resolver falls back to `lstat`.
   */
  typeOf?(rel: string): FileType | null;
  /** Target of the symlink at `rel` (EINVAL if not a symlink). */
  readlink(rel: string): string;
  /** Opens `rel`; returns a file handle, or `'directory'` when it is a directory (opened read-only). */
  open(rel: string, options: VfsOpenOptions): VfsFile | 'directory';
  mkdir(rel: string): void;
  rmdir(rel: string): void;
  /** Removes a non-directory (EISDIR for a directory). */
  unlink(rel: string): void;
  /** Renames within this vfs (the caller checks both ends belong to the same vfs; else EXDEV). */
  rename(fromRel: string, toRel: string): void;
  /** Hard link; does not follow a symlink at `fromRel`. */
  link(fromRel: string, toRel: string): void;
  /** Creates a symlink at `rel` whose content is `target` (never interpreted here). */
  symlink(target: string, rel: string): void;
  /** Sets times on the node at `rel`, not following a final symlink. */
  setTimes(rel: string, atime: TimeSpec, mtime: TimeSpec): void;
  /** Entries of the directory at `rel`, without `.` and `..`. */
  readdir(rel: string): VfsDirEntry[];
}
