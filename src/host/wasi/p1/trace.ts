// `--trace`: wraps every WASI import to log `name(args...) -> ERRNO` lines (strace-like).
// Only built when a trace sink is given, so an untraced guest pays nothing.
import { ERRNO_NAMES } from './wasi-defs.ts';

/** For path_* calls: argument indices of (ptr, len) pairs holding a path, shown decoded. */
const PATH_ARGS: Readonly<Record<string, readonly number[]>> = {
  path_create_directory: [1],
  path_filestat_get: [2],
  path_filestat_set_times: [2],
  path_link: [2, 5],
  path_open: [2],
  path_readlink: [1],
  path_remove_directory: [1],
  path_rename: [1, 4],
  path_symlink: [0, 3],
  path_unlink_file: [1],
};

type ImportFn = (...args: never[]) => unknown;

/**
 * A copy of `fn` (the import `name`) that reports each call to `trace`. `readString(ptr, len)`
 * decodes a guest string (lossy) for path arguments. A call that throws (trap, proc_exit) is
 * logged with the exception's name and rethrown.
 */
export function traceImport(
  name: string,
  fn: ImportFn,
  trace: (line: string) => void,
  readString: (ptr: number, len: number) => string,
): ImportFn {
  const paths = PATH_ARGS[name] ?? [];
  const call = fn as (...args: unknown[]) => unknown;
  return ((...args: unknown[]) => {
    const shown: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (paths.includes(i)) {
        let s: string;
        try { s = JSON.stringify(readString(args[i] as number >>> 0, args[i + 1] as number >>> 0)); } catch { s = '<bad path>'; }
        shown.push(s);
        i++;
      } else {
        shown.push(String(args[i]));
      }
    }
    const head = `${name}(${shown.join(', ')})`;
    let r: unknown;
    try {
      r = call(...args);
    } catch (err) {
      trace(`${head} -> ${(err as { name?: string }).name ?? 'exception'}`);
      throw err;
    }
    trace(`${head} -> ${typeof r === 'number' ? (ERRNO_NAMES[r] ?? String(r)) : 'void'}`);
    return r;
  }) as ImportFn;
}
