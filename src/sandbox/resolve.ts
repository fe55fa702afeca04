// Guest path resolution, confined to a preopen. This is the security boundary of the filesystem
// sandbox: every guest path goes through `resolvePath` before a Vfs sees it.
//
// Rules (cap-std's, which Wasmtime uses; errnos as Wasmtime reports them):
// - an absolute path, a `..` above the preopen root, or a symlink whose target is absolute or
//   climbs above the root: EPERM (cap-std's "a path led outside of the filesystem" is
//   io::ErrorKind::PermissionDenied, which Wasmtime maps to ERRNO_PERM);
// - more than MAX_SYMLINK_EXPANSIONS symlinks on one path (chains, loops): ELOOP;
// - a non-directory used as a directory: ENOTDIR; a missing intermediate component: ENOENT;
// - an empty path: ENOENT; a NUL byte in a path: EINVAL.
// Symlinks are expanded by wasmlet (readlink + splice), never by the host OS, so a symlink
// cannot take the walk outside the preopen. `..` is applied to the real (already resolved)
// parent, as POSIX does.
import { fsError } from './fs-error.ts';
import type { Vfs } from './vfs.ts';

/** Linux's limit (MAXSYMLINKS); a chain or loop longer than this gives ELOOP. */
export const MAX_SYMLINK_EXPANSIONS = 40;

function hasMoreComponents(pending: string[]): boolean {
  for (let i = pending.length - 1; i >= 0; i--) {
    const c = pending[i]!;
    if (c !== '' && c !== '.') return true;
  }
  return false;
}

/**
 * Resolves a guest `path` relative to the directory `base` (a canonical rel path inside the
 * preopen, `''` = its root) to a canonical rel path for `vfs`. Intermediate symlinks are always
 * followed; the final component is followed only when `followFinal` (or the path ends in `/`).
 * The final component need not exist (for creation); any other component must. Throws FsError
 * (EPERM, ELOOP, ENOENT, ENOTDIR, EINVAL) or the vfs's errors.
 */
export function resolvePath(vfs: Vfs, base: string, path: string, followFinal: boolean): string {
  if (path.length === 0) throw fsError('ENOENT');
  if (path.charCodeAt(0) === 47 /* / */) throw fsError('EPERM');
  if (path.includes('\0')) throw fsError('EINVAL');
  const trailingSlash = path.charCodeAt(path.length - 1) === 47;

  // Fast path: no `..` and no trailing slash means lexical resolution is exact whenever no
  // component is a symlink, which the vfs checks in one call (host: one realpath).
  if (!trailingSlash && vfs.isPlainPath !== undefined && !path.includes('..') && !path.endsWith('/.')) {
    let rel = base;
    let start = 0;
    for (let i = 0; i <= path.length; i++) {
      if (i === path.length || path.charCodeAt(i) === 47) {
        const c = path.slice(start, i);
        start = i + 1;
        if (c !== '' && c !== '.') rel = rel === '' ? c : `${rel}/${c}`;
      }
    }
    if (vfs.isPlainPath(rel)) return rel;
  }

  const stack = base === '' ? [] : base.split('/');
  const pending = path.split('/').reverse();
  let expansions = 0;
  while (pending.length > 0) {
    const c = pending.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) throw fsError('EPERM');
      stack.pop();
      continue;
    }
    const last = !hasMoreComponents(pending);
    stack.push(c);
    if (last && !followFinal && !trailingSlash) break;
    const rel = stack.join('/');
    let type: string;
    try {
      type = vfs.lstat(rel).type;
    } catch (err) {
      if (last && (err as { code?: unknown }).code === 'ENOENT') break;
      throw err;
    }
    if (type === 'symbolic-link') {
      if (++expansions > MAX_SYMLINK_EXPANSIONS) throw fsError('ELOOP');
      const target = vfs.readlink(rel);
      stack.pop();
      if (target.length === 0) throw fsError('ENOENT');
      if (target.charCodeAt(0) === 47) throw fsError('EPERM');
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
    } else if (type !== 'directory' && (!last || trailingSlash)) {
      throw fsError('ENOTDIR');
    }
  }
  return stack.join('/');
}
