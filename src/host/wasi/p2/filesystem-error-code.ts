// THE one mapping from sandbox/host errors to `wasi:filesystem/types.error-code` (WASI 0.2).
// Keys are POSIX error names as the sandbox core's FsError and Node's `err.code` carry them; values
// are the WIT case names verbatim, following Wasmtime's `From<std::io::Error> for ErrorCode`
// (crates/wasi/src/filesystem.rs). WASI p1 has its own table (p1/errno.ts) over the same keys.
import type { FilesystemErrorCode } from './filesystem.ts';

/** POSIX error name (Node `err.code`, sandbox `FsError.code`) -> p2 `error-code`. */
export const ERROR_CODE_BY_POSIX: Readonly<Record<string, FilesystemErrorCode>> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EWOULDBLOCK: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDEADLK: 'deadlock',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  EMSGSIZE: 'message-size',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOLCK: 'no-lock',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTRECOVERABLE: 'not-recoverable',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  ENOSYS: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  // p1's ENOTCAPABLE has no p2 case; Wasmtime reports capability denials as not-permitted.
  ENOTCAPABLE: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
  EMFILE: 'insufficient-memory',
  ENFILE: 'insufficient-memory',
  E2BIG: 'invalid',
  EFAULT: 'invalid',
  // Node-specific codes a sandboxed call can produce:
  EOF: 'io',
  ERR_INVALID_ARG_VALUE: 'invalid',
  ERR_FS_FILE_TOO_LARGE: 'file-too-large',
};

/** Every case of `error-code`, for recognising one carried in an `io-error`'s debug string. */
export const ERROR_CODES: ReadonlySet<string> = new Set<FilesystemErrorCode>([
  'access', 'would-block', 'already', 'bad-descriptor', 'busy', 'deadlock', 'quota', 'exist',
  'file-too-large', 'illegal-byte-sequence', 'in-progress', 'interrupted', 'invalid', 'io',
  'is-directory', 'loop', 'too-many-links', 'message-size', 'name-too-long', 'no-device',
  'no-entry', 'no-lock', 'insufficient-memory', 'insufficient-space', 'not-directory',
  'not-empty', 'not-recoverable', 'unsupported', 'no-tty', 'no-such-device', 'overflow',
  'not-permitted', 'pipe', 'read-only', 'invalid-seek', 'text-file-busy', 'cross-device',
]);

/**
 * The `error-code` for a caught error, or `undefined` when it is not an I/O error (a bug: the
 * caller rethrows it and the instance traps). An unknown POSIX-looking code maps to `'io'`.
 */
export function errorCodeOf(err: unknown): FilesystemErrorCode | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const mapped = ERROR_CODE_BY_POSIX[code];
  if (mapped !== undefined) return mapped;
  return /^E[A-Z0-9]+$/.test(code) ? 'io' : undefined;
}
