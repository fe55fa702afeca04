/**
 * POSIX error names the sandbox core reports. They are the same strings Node puts in
 * `err.code` for a failed `fs` call, so host errors and sandbox decisions travel as one kind of
 * value; each ABI layer (WASI p1 errno, WASI p2 `error-code`) maps them with one table.
 */
export type PosixCode =
  | 'E2BIG' | 'EACCES' | 'EAGAIN' | 'EBADF' | 'EBUSY' | 'EEXIST' | 'EFAULT' | 'EFBIG' | 'EILSEQ'
  | 'EINTR' | 'EINVAL' | 'EIO' | 'EISDIR' | 'ELOOP' | 'EMFILE' | 'EMLINK' | 'ENAMETOOLONG'
  | 'ENFILE' | 'ENODEV' | 'ENOENT' | 'ENOMEM' | 'ENOSPC' | 'ENOSYS' | 'ENOTDIR' | 'ENOTEMPTY'
  | 'ENOTSOCK' | 'ENOTSUP' | 'ENOTTY' | 'ENXIO' | 'EOVERFLOW' | 'EPERM' | 'EPIPE' | 'EROFS'
  | 'ESPIPE' | 'ETXTBSY' | 'EXDEV' | 'ENOTCAPABLE';

/**
 * A failure of a sandboxed filesystem or stream operation, as a guest sees it. Thrown by the
 * sandbox core and caught by the ABI layer, which turns `code` into the guest's error value.
 * Not a `WasmletError`: it never crosses the embedding API.
 */
export class FsError extends Error {
  override readonly name = 'FsError';
  readonly code: PosixCode;
  constructor(code: PosixCode, message: string = code) {
    super(message);
    this.code = code;
  }
}

/** Shorthand: `throw fsError('ENOENT')`. */
export function fsError(code: PosixCode): FsError {
  return new FsError(code);
}
