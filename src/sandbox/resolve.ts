// Guest path resolution, confined to a preopen. This is the security boundary of the filesystem
// sandbox: every guest path goes through `resolvePath` before a Vfs sees it.
//
// Rules (cap-std's, which Wasmtime uses; errnos as Wasmtime reports them). Every directory
// descriptor is its own root, as a cap-std `Dir` is: a path given relative to a subdirectory
// opened with path_open cannot `..` above that subdirectory either.
// - an absolute path, a `..` above the directory, or a symlink whose target is absolute or
//   climbs above it: EPERM (cap-std's "a path led outside of the filesystem" is
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

/** True when `s` has a component other than `` and `.` at or after index `i`. */
function moreAfter(s: string, i: number): boolean {
  while (i < s.length) {
    let j = s.indexOf('/', i);
    if (j < 0) j = s.length;
    const len = j - i;
    if (len > 1 || (len === 1 && s.charCodeAt(i) !== 46)) return true;
    i = j + 1;
  }
  return false;
}

/**
 * Checks that each component of the directory `base` (a canonical rel path, not `''`) is still a
 * directory: it may have been renamed away or swapped for a symlink since its descriptor was
 * opened, and the host would follow such a symlink. Throws FsError ENOENT otherwise. Every
 * operation on a directory descriptor's own path (stat, set-times, readdir) and every path
 * resolved below it calls this first.
 */
export function verifyDir(vfs: Vfs, base: string): void {
  let i = base.indexOf('/');
  for (;;) {
    const prefix = i < 0 ? base : base.slice(0, i);
    const type = vfs.typeOf !== undefined ? vfs.typeOf(prefix) : typeByLstat(vfs, prefix);
    if (type !== 'directory') throw fsError('ENOENT');
    if (i < 0) return;
    i = base.indexOf('/', i + 1);
  }
}

/**
 * Splits the trailing slashes off a guest path: `['a/b', true]` for `a/b//`, `[path, false]`
 * when there are none. A path of slashes only is returned whole (it is absolute: EPERM later).
 * Operations that name an entry to create, remove or rename look at the last name itself and
 * apply the slash as a rule of their own (Linux `filename_create`, `do_unlinkat`,
 * `do_renameat2`), so they resolve the stripped path without following its final component.
 */
export function splitTrailingSlash(path: string): [string, boolean] {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  if (end === path.length || (end === 1 && path.charCodeAt(0) === 47)) return [path, false];
  return [path.slice(0, end), true];
}

function typeByLstat(vfs: Vfs, rel: string): string | null {
  try {
    return vfs.lstat(rel).type;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
    return null;
  }
}

/**
 * Resolves a guest `path` relative to the directory `base` (a canonical rel path inside the
 * preopen, `''` = its root, which is also the floor `..` cannot cross) to a canonical rel path
 * for `vfs`. Intermediate symlinks are always
 * followed; the final component is followed only when `followFinal`. A path ending in `/` names
 * a directory, as on Linux: its final component is followed (symlinks too) and must exist and
 * be a directory (ENOENT, ENOTDIR). Otherwise the final component need not exist (for
 * creation); any other component must. Throws FsError (EPERM, ELOOP, ENOENT, ENOTDIR, EINVAL)
 * or the vfs's errors.
 */
export function resolvePath(vfs: Vfs, base: string, path: string, followFinal: boolean): string {
  if (path.length === 0) throw fsError('ENOENT');
  if (path.charCodeAt(0) === 47 /* / */) throw fsError('EPERM');
  if (path.includes('\0')) throw fsError('EINVAL');
  if (base !== '') verifyDir(vfs, base);
  // A lone name that is not followed needs no lookup at all.
  if (!followFinal && path.indexOf('/') < 0 && path !== '..' && path !== '.') {
    return base === '' ? path : `${base}/${path}`;
  }

  // The walk keeps the resolved prefix as a string (`rel`) and scans the remaining path in
  // place; a symlink replaces the rest with `target/rest` and restarts the scan.
  let rel = base;
  let rest = path;
  let i = 0;
  let expansions = 0;
  while (i < rest.length) {
    let j = rest.indexOf('/', i);
    if (j < 0) j = rest.length;
    const c = rest.slice(i, j);
    i = j + 1;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (rel.length <= base.length) throw fsError('EPERM'); // rel === base: the floor
      const k = rel.lastIndexOf('/');
      rel = k < 0 ? '' : rel.slice(0, k);
      continue;
    }
    const last = !moreAfter(rest, i);
    // A `/` after the name (`a/`, `a/.`): it must be a directory, as on Linux.
    const slash = j < rest.length;
    const parent = rel;
    rel = parent === '' ? c : `${parent}/${c}`;
    if (last && !followFinal && !slash) break;
    const type = vfs.typeOf !== undefined ? vfs.typeOf(rel) : typeByLstat(vfs, rel);
    if (type === null) {
      // `missing/` (or a dangling `link/`) names a directory that is not there: ENOENT, as
      // Linux; an operation creating `name/` strips the slash first (splitTrailingSlash).
      if (last && !slash) break;
      throw fsError('ENOENT');
    }
    if (type === 'symbolic-link') {
      if (++expansions > MAX_SYMLINK_EXPANSIONS) throw fsError('ELOOP');
      const target = vfs.readlink(rel);
      if (target.length === 0) throw fsError('ENOENT');
      if (target.charCodeAt(0) === 47) throw fsError('EPERM');
      rel = parent;
      rest = i < rest.length ? `${target}/${rest.slice(i)}` : (slash ? `${target}/` : target);
      i = 0;
    } else if (type !== 'directory' && (!last || slash)) {
      throw fsError('ENOTDIR');
    }
  }
  return rel;
}
