// WASI preview1 (`wasi_snapshot_preview1`) host: a thin ABI layer over the sandbox core. It
// decodes guest pointers, calls descriptors, and turns every failure into an errno through the
// one table in errno.ts. Behaviour follows the witx and, where the spec is vague, Wasmtime's
// crates/wasi/src/p1.rs (cited inline as "Wasmtime").
import { WasmletError } from '../../../util/errors.ts';
import {
  Descriptor, DirDescriptor, FileDescriptor, InputStreamDescriptor, OutputStreamDescriptor, type Whence,
} from '../../../sandbox/descriptor.ts';
import { FdTable } from '../../../sandbox/fd-table.ts';
import { fsError } from '../../../sandbox/fs-error.ts';
import { preopenVfses, type AnyPreopenSpec } from '../../../sandbox/preopen.ts';
import { nullInput, nullOutput, type InputStream, type OutputStream } from '../../../sandbox/stdio.ts';
import type { FileType, TimeSpec, VfsStat } from '../../../sandbox/vfs.ts';
import { errnoOf } from './errno.ts';
import { StringList } from './string-list.ts';
import { traceImports } from './trace.ts';
import {
  ERRNO_BADF, ERRNO_INVAL, ERRNO_MFILE, ERRNO_NAMETOOLONG, ERRNO_NOTDIR, ERRNO_NOTSOCK, ERRNO_NOTSUP, ERRNO_PERM,
  ERRNO_SUCCESS, CLOCKID_MONOTONIC, CLOCKID_PROCESS_CPUTIME_ID, CLOCKID_REALTIME,
  CLOCKID_THREAD_CPUTIME_ID, EVENTRWFLAGS_FD_READWRITE_HANGUP, EVENTTYPE_CLOCK, EVENTTYPE_FD_READ,
  EVENTTYPE_FD_WRITE, FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC,
  FILETYPE_BLOCK_DEVICE, FILETYPE_CHARACTER_DEVICE, FILETYPE_DIRECTORY, FILETYPE_REGULAR_FILE,
  FILETYPE_SOCKET_STREAM, FILETYPE_SYMBOLIC_LINK, FILETYPE_UNKNOWN, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW,
  FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW, LOOKUPFLAGS_SYMLINK_FOLLOW, OFLAGS_CREAT, OFLAGS_DIRECTORY,
  OFLAGS_EXCL, OFLAGS_TRUNC, RIGHTS_ALL, RIGHTS_FD_ADVISE, RIGHTS_FD_ALLOCATE, RIGHTS_FD_DATASYNC,
  RIGHTS_FD_FDSTAT_SET_FLAGS, RIGHTS_FD_FILESTAT_GET, RIGHTS_FD_FILESTAT_SET_SIZE,
  RIGHTS_FD_FILESTAT_SET_TIMES, RIGHTS_FD_READ, RIGHTS_FD_READDIR, RIGHTS_FD_SEEK, RIGHTS_FD_SYNC,
  RIGHTS_FD_TELL, RIGHTS_FD_WRITE, RIGHTS_PATH_CREATE_DIRECTORY, RIGHTS_PATH_CREATE_FILE,
  RIGHTS_PATH_FILESTAT_GET, RIGHTS_PATH_FILESTAT_SET_SIZE, RIGHTS_PATH_FILESTAT_SET_TIMES,
  RIGHTS_PATH_LINK_SOURCE, RIGHTS_PATH_LINK_TARGET, RIGHTS_PATH_OPEN, RIGHTS_PATH_READLINK,
  RIGHTS_PATH_REMOVE_DIRECTORY, RIGHTS_PATH_RENAME_SOURCE, RIGHTS_PATH_RENAME_TARGET,
  RIGHTS_PATH_SYMLINK, RIGHTS_PATH_UNLINK_FILE, RIGHTS_POLL_FD_READWRITE,
  SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME, WHENCE_CUR, WHENCE_END, WHENCE_SET, ADVICE_NOREUSE,
} from './wasi-defs.ts';

/** Options of a WasiP1 instance. Everything defaults to "nothing granted". */
export interface WasiP1Options {
  /** argv, argv[0] included; default []. */
  args?: string[];
  /** Environment; default {} (nothing inherited from the host). */
  env?: Record<string, string>;
  /** Preopened directories, given fds 3.. in this order; default []. */
  preopens?: AnyPreopenSpec[];
  /** Default: empty (EOF). */
  stdin?: InputStream;
  /** Default: discarded. */
  stdout?: OutputStream;
  /** Default: discarded. */
  stderr?: OutputStream;
  /** When given, every import call is reported as `name(args...) -> ERRNO`. */
  trace?: (line: string) => void;
  /**
   * The `wasi_snapshot_preview1` functions to build: pass the names the module imports
   * ({@link wasiP1ImportNames}, computed once per module) and `imports` holds only those, instead
   * of all {@link WASI_P1_FUNCTIONS} (a closure each, per instance). Names p1 does not define are
   * left out (instantiation then fails with a LinkError, as it would anyway). Default: all.
   * Why it matters beyond the closures' own cost: V8 keeps an instance's import data in old space,
   * so until a full GC, scavenges keep this WasiP1 and every function it built alive; fewer
   * functions, less promoted. Measured on the C WAGI hello (10 imports), per request in a WAGI
   * worker loop: 50-59 -> 36-40 us, scavenge time per 100k requests ~1000 -> ~100 ms.
   */
  only?: readonly string[];
  /**
   * Descriptors the guest may hold open at once (stdio and preopens count); `path_open` past it
   * fails with ERRNO_MFILE and opens nothing on the host. Default 1024 (DEFAULT_MAX_OPEN_FDS in
   * sandbox/fd-table.ts). Must be at least 3 + the number of preopens.
   */
  maxOpenFds?: number;
}

type ImportFn = (...args: never[]) => unknown;

/** Every function of `wasi_snapshot_preview1` (all 46 of the snapshot's witx), each built by `WasiP1`. */
export const WASI_P1_FUNCTIONS: readonly string[] = [
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get',
  'clock_time_get', 'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_sync',
  'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_fdstat_set_rights', 'fd_filestat_get',
  'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread', 'fd_pwrite', 'fd_read', 'fd_write',
  'fd_prestat_get', 'fd_prestat_dir_name', 'fd_readdir', 'fd_renumber', 'fd_seek', 'fd_tell',
  'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_open',
  'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file',
  'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get', 'sock_accept', 'sock_recv',
  'sock_send', 'sock_shutdown',
];

/**
 * The names `module` imports from `wasi_snapshot_preview1` (functions only), for
 * {@link WasiP1Options.only}. Walks the module's import list: compute once per module, not per
 * instance.
 */
export function wasiP1ImportNames(module: WebAssembly.Module): string[] {
  const names: string[] = [];
  for (const i of WebAssembly.Module.imports(module)) {
    if (i.module === 'wasi_snapshot_preview1' && i.kind === 'function') names.push(i.name);
  }
  return names;
}

/**
 * Thrown by `proc_exit(code)` to unwind the guest; `start()` catches it and returns `code`.
 * Embedders calling exports directly (reactors) catch it themselves.
 */
export class ProcExit extends Error {
  override readonly name = 'ProcExit';
  readonly code: number;
  constructor(code: number) {
    super(`guest called proc_exit(${code})`);
    this.code = code;
  }
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const lossyDecoder = new TextDecoder('utf-8');

const FILETYPE: Readonly<Record<FileType, number>> = {
  'unknown': FILETYPE_UNKNOWN,
  'block-device': FILETYPE_BLOCK_DEVICE,
  'character-device': FILETYPE_CHARACTER_DEVICE,
  'directory': FILETYPE_DIRECTORY,
  'fifo': FILETYPE_UNKNOWN, // p1 has no FIFO type (Wasmtime reports UNKNOWN)
  'symbolic-link': FILETYPE_SYMBOLIC_LINK,
  'regular-file': FILETYPE_REGULAR_FILE,
  'socket': FILETYPE_SOCKET_STREAM,
};

/** Rights Wasmtime reports for a preopened directory (hard-coded, "expected by many userlands"). */
const PREOPEN_RIGHTS_BASE = RIGHTS_PATH_CREATE_DIRECTORY | RIGHTS_PATH_CREATE_FILE | RIGHTS_PATH_LINK_SOURCE
  | RIGHTS_PATH_LINK_TARGET | RIGHTS_PATH_OPEN | RIGHTS_FD_READDIR | RIGHTS_PATH_READLINK
  | RIGHTS_PATH_RENAME_SOURCE | RIGHTS_PATH_RENAME_TARGET | RIGHTS_PATH_SYMLINK | RIGHTS_PATH_REMOVE_DIRECTORY
  | RIGHTS_PATH_UNLINK_FILE | RIGHTS_PATH_FILESTAT_GET | RIGHTS_PATH_FILESTAT_SET_TIMES | RIGHTS_FD_FILESTAT_GET
  | RIGHTS_FD_FILESTAT_SET_TIMES;
const PREOPEN_RIGHTS_INHERITING = PREOPEN_RIGHTS_BASE | RIGHTS_FD_DATASYNC | RIGHTS_FD_READ | RIGHTS_FD_SEEK
  | RIGHTS_FD_FDSTAT_SET_FLAGS | RIGHTS_FD_SYNC | RIGHTS_FD_TELL | RIGHTS_FD_WRITE | RIGHTS_FD_ADVISE
  | RIGHTS_FD_ALLOCATE | RIGHTS_FD_FILESTAT_GET | RIGHTS_FD_FILESTAT_SET_SIZE | RIGHTS_FD_FILESTAT_SET_TIMES
  | RIGHTS_POLL_FD_READWRITE;
/** Rights of a directory opened with path_open (Wasmtime: all, minus seek/size, minus write). */
const DIR_RIGHTS = RIGHTS_ALL & ~(RIGHTS_FD_SEEK | RIGHTS_FD_FILESTAT_SET_SIZE | RIGHTS_PATH_FILESTAT_SET_SIZE | RIGHTS_FD_WRITE);

const WHENCE: readonly Whence[] = ['set', 'cur', 'end'];
void WHENCE_SET; void WHENCE_CUR; void WHENCE_END; // indices of WHENCE above

function oob(): never {
  throw new WebAssembly.RuntimeError('WASI call got a pointer outside linear memory');
}

/** A guest u64 offset/size as a JS number; EINVAL beyond 2^53 (no host file is that large). */
function toNum(v: bigint): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw fsError('EINVAL');
  return Number(v);
}

/** Wasmtime's systimespec: setting a time and "now" together is EINVAL. */
function timeSpec(flags: number, value: bigint, setBit: number, nowBit: number): TimeSpec {
  const set = (flags & setBit) !== 0;
  const now = (flags & nowBit) !== 0;
  if (set && now) throw fsError('EINVAL');
  return set ? value : now ? 'now' : null;
}

/**
 * A WASI preview1 host for one guest instance. Construct per instance (cheap: no syscalls;
 * imports, all of them or the `only` ones, are built on first access), pass `imports` to
 * `WebAssembly.Instance`, then `start()` a command or `initialize()` a reactor.
 */
export class WasiP1 {
  readonly #args: string[];
  readonly #env: Record<string, string>;
  readonly #trace: ((line: string) => void) | undefined;
  readonly #only: readonly string[] | undefined;
  readonly #table: FdTable;
  #imports: WebAssembly.Imports | null = null;
  #memory: WebAssembly.Memory | null = null;
  #ab: ArrayBufferLike | null = null;
  #shared = false;
  #u8 = new Uint8Array(0);
  /** `#u8` as a Buffer, made on first use (for latin1 string slices). */
  #latin1: Buffer | null = null;
  #dv = new DataView(new ArrayBuffer(0));
  #sleeper: Int32Array | null = null;
  #realtimeOffset: bigint | null = null;
  /** argv / environ, encoded on the guest's first args_* / environ_* call. */
  #argList: StringList | null = null;
  #envList: StringList | null = null;
  #randomFill: ((buf: Uint8Array, offset: number, size: number) => unknown) | null = null;

  constructor(options: WasiP1Options = {}) {
    this.#args = options.args ?? [];
    this.#env = options.env ?? {};
    this.#trace = options.trace;
    this.#only = options.only;
    this.#table = new FdTable(options.maxOpenFds);
    const t = this.#table;
    t.push(new InputStreamDescriptor(options.stdin ?? nullInput()));
    t.push(new OutputStreamDescriptor(options.stdout ?? nullOutput()));
    t.push(new OutputStreamDescriptor(options.stderr ?? nullOutput()));
    const preopens = options.preopens ?? [];
    if (preopens.length > 0) {
      const vfses = preopenVfses(preopens);
      for (let i = 0; i < preopens.length; i++) {
        const p = preopens[i]!;
        t.push(new DirDescriptor(vfses[i]!, '', p.readOnly ?? false, p.guestPath));
      }
    }
  }

  /** The import object: `{ wasi_snapshot_preview1: {...} }`. */
  get imports(): WebAssembly.Imports {
    return this.#imports ??= { wasi_snapshot_preview1: this.#build() };
  }

  /**
   * Runs a command: binds memory, calls `_start`, returns the exit code (0 when `_start`
   * returns, n on `proc_exit(n)`). Traps propagate (WebAssembly.RuntimeError). Always flushes
   * buffered output and closes the guest's host fds before returning or throwing.
   * Throws WasmletError WASMLET_ERR_WASI_NO_START / WASMLET_ERR_WASI_NO_MEMORY for a module that
   * is not a WASI command.
   */
  start(instance: WebAssembly.Instance): number {
    const start = instance.exports['_start'];
    if (typeof start !== 'function') {
      throw new WasmletError('WASMLET_ERR_WASI_NO_START', 'the module exports no `_start` function: it is not a WASI command (build it as a command, or call it as a reactor)', { blame: 'guest' });
    }
    try {
      this.#bind(instance);
      (start as () => void)();
      return 0;
    } catch (err) {
      if (err instanceof ProcExit) return err.code;
      throw err;
    } finally {
      this.dispose();
    }
  }

  /** Reactor: binds memory and calls `_initialize` if exported; the embedder then calls exports. */
  initialize(instance: WebAssembly.Instance): void {
    this.#bind(instance);
    const init = instance.exports['_initialize'];
    if (typeof init === 'function') (init as () => void)();
  }

  /**
   * Writes back file data the guest wrote but wasmlet still buffers (it is otherwise written at
   * the guest's next WASI call). For reactors: call after an export returns if the host reads
   * the guest's files. Throws the write's Node error if the write-back fails.
   */
  flush(): void {
    this.#table.flushPending();
  }

  /** Flushes buffered writes and closes every host fd the guest opened. Idempotent. */
  dispose(): void {
    this.#table.closeAll();
  }

  #bind(instance: WebAssembly.Instance): void {
    const memory = instance.exports['memory'];
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new WasmletError('WASMLET_ERR_WASI_NO_MEMORY', 'the module exports no `memory`: WASI modules must export their linear memory as `memory`', { blame: 'guest' });
    }
    this.#memory = memory;
    this.#ab = null;
    this.#latin1 = null;
    this.#u8 = new Uint8Array(0);
  }

  /**
   * Makes `#u8`/`#dv` current. Cheap when nothing changed: growing a non-shared memory detaches
   * its old buffer, so an empty view means "re-read memory.buffer"; a shared memory never
   * detaches and is re-read every time.
   */
  #refresh(): void {
    if (this.#u8.length === 0 || this.#shared) this.#rebind();
  }

  #rebind(): void {
    const memory = this.#memory;
    if (memory === null) throw new WebAssembly.RuntimeError('WASI call before start()/initialize() bound the memory');
    const buf = memory.buffer;
    if (buf !== this.#ab) {
      this.#ab = buf;
      this.#latin1 = null;
      this.#shared = typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer;
      this.#u8 = new Uint8Array(buf);
      this.#dv = new DataView(buf);
    }
  }

  /** errno for a failure; anything that is not an I/O error is a trap and is rethrown. */
  #fail(err: unknown): number {
    const errno = errnoOf(err);
    if (errno >= 0) return errno;
    if (err instanceof RangeError) throw new WebAssembly.RuntimeError(`WASI call accessed memory out of bounds: ${err.message}`);
    throw err;
  }

  #str(ptr: number, len: number): string {
    const u8 = this.#u8;
    if (ptr + len > u8.length) oob();
    // Paths are nearly always ASCII: check, then one latin1 slice of memory (one flat string;
    // no per-character concatenation, no subarray, no decoder).
    const end = ptr + len;
    let k = ptr;
    while (k < end && u8[k]! < 0x80) k++;
    if (k === end) {
      return (this.#latin1 ??= Buffer.from(u8.buffer, u8.byteOffset, u8.length)).toString('latin1', ptr, end);
    }
    try {
      return strictDecoder.decode(u8.subarray(ptr, ptr + len));
    } catch {
      throw fsError('EILSEQ');
    }
  }

  #get(fd: number): Descriptor {
    const d = this.#table.get(fd);
    if (d === undefined) throw fsError('EBADF');
    return d;
  }

  #dir(fd: number): DirDescriptor {
    const d = this.#table.get(fd);
    if (!(d instanceof DirDescriptor)) throw fsError('EBADF');
    return d;
  }

  #writeFilestat(ptr: number, s: VfsStat): void {
    const dv = this.#dv;
    if (ptr + 64 > this.#u8.length) oob();
    dv.setBigUint64(ptr, s.dev, true);
    dv.setBigUint64(ptr + 8, s.ino, true);
    dv.setUint32(ptr + 16, FILETYPE[s.type], true); // filetype u8 + padding (no BigInt to allocate)
    dv.setUint32(ptr + 20, 0, true);
    dv.setBigUint64(ptr + 24, s.nlink, true);
    dv.setBigUint64(ptr + 32, s.size, true);
    // Times before 1970 are negative: store their two's complement, as a u64 field holds them.
    dv.setBigInt64(ptr + 40, s.atimNs, true);
    dv.setBigInt64(ptr + 48, s.mtimNs, true);
    dv.setBigInt64(ptr + 56, s.ctimNs, true);
  }

  #now(id: number): bigint | number {
    switch (id) {
      case CLOCKID_MONOTONIC: return process.hrtime.bigint();
      case CLOCKID_REALTIME: {
        const off = this.#realtimeOffset ??= BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
        return process.hrtime.bigint() + off;
      }
      // Wasmtime: CPU-time clocks are not provided (BADF); anything else is not a clockid.
      case CLOCKID_PROCESS_CPUTIME_ID:
      case CLOCKID_THREAD_CPUTIME_ID: return ERRNO_BADF;
      default: return ERRNO_INVAL;
    }
  }

  #sleepUntil(deadline: bigint): void {
    const sab = this.#sleeper ??= new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      const left = deadline - process.hrtime.bigint();
      if (left <= 0n) return;
      Atomics.wait(sab, 0, 0, Math.max(Number(left) / 1e6, 0.001));
    }
  }

  /**
   * Transfers the guest's iovec array at `iovs` (`iovsLen` entries of {buf u32, len u32})
   * between guest memory and `d`: reads into memory unless `write`; sequentially when `pos` < 0,
   * else at `pos` on. Stops at a short transfer; returns the bytes moved. Data moves straight
   * between the host and guest memory (no host buffer sized by the guest). An array or buffer
   * outside memory traps (Wasmtime: out-of-bounds pointers trap).
   */
  #iov(d: Descriptor, iovs: number, iovsLen: number, pos: number, write: boolean): number {
    this.#refresh();
    const dv = this.#dv;
    const u8 = this.#u8;
    iovs >>>= 0;
    iovsLen >>>= 0;
    if (iovs + iovsLen * 8 > u8.length) oob();
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const buf = dv.getUint32(iovs + i * 8, true);
      const len = dv.getUint32(iovs + i * 8 + 4, true);
      if (len === 0) continue;
      if (buf + len > u8.length) oob();
      const n = write
        ? (pos < 0 ? d.write(u8, buf, len) : d.pwrite(u8, buf, len, pos + total))
        : (pos < 0 ? d.read(u8, buf, len) : d.pread(u8, buf, len, pos + total));
      total += n;
      if (n < len) break;
    }
    return total;
  }

  /**
   * The directory at `fd` for a path_* call, after writing back buffered data (a path
   * operation may observe the file) and refreshing the memory views. EBADF if not a directory.
   */
  #dirAt(fd: number): DirDescriptor {
    const table = this.#table;
    if (table.dirty !== null) table.flushPending();
    const d = this.#dir(fd);
    this.#refresh();
    return d;
  }

  /** A guest path argument (u32 pointer and length): see #str. */
  #path(ptr: number, len: number): string {
    return this.#str(ptr >>> 0, len >>> 0);
  }

  #sizesGet(list: StringList, countPtr: number, sizePtr: number): number {
    this.#refresh();
    this.#dv.setUint32(countPtr >>> 0, list.count, true);
    this.#dv.setUint32(sizePtr >>> 0, list.bytes, true);
    return ERRNO_SUCCESS;
  }

  #listGet(list: StringList, ptrs: number, buf: number): number {
    this.#refresh();
    if (!list.writeTo(this.#u8, this.#dv, ptrs >>> 0, buf >>> 0)) oob();
    return ERRNO_SUCCESS;
  }

  #build(): Record<string, ImportFn> {
    const fns: Record<string, ImportFn> = {};
    for (const name of this.#only ?? WASI_P1_FUNCTIONS) {
      const fn = this.#make(name);
      if (fn !== undefined) fns[name] = fn;
    }
    const trace = this.#trace;
    if (trace === undefined) return fns;
    return traceImports(fns, trace, (ptr, len) => {
      this.#refresh();
      return lossyDecoder.decode(this.#u8.subarray(ptr, ptr + len));
    });
  }

  /** The import function `name` of this instance; undefined for a name p1 does not define. */
  #make(name: string): ImportFn | undefined {
    const table = this.#table;
    switch (name) {
      case 'args_get': return (argv: number, argvBuf: number): number => {
        try { return this.#listGet(this.#argList ??= StringList.ofArgs(this.#args), argv, argvBuf); } catch (e) { return this.#fail(e); }
      };
      case 'args_sizes_get': return (argc: number, bufSize: number): number => {
        try { return this.#sizesGet(this.#argList ??= StringList.ofArgs(this.#args), argc, bufSize); } catch (e) { return this.#fail(e); }
      };
      case 'environ_get': return (environ: number, environBuf: number): number => {
        try { return this.#listGet(this.#envList ??= StringList.ofEnv(this.#env), environ, environBuf); } catch (e) { return this.#fail(e); }
      };
      case 'environ_sizes_get': return (count: number, bufSize: number): number => {
        try { return this.#sizesGet(this.#envList ??= StringList.ofEnv(this.#env), count, bufSize); } catch (e) { return this.#fail(e); }
      };

      case 'clock_res_get': return (id: number, out: number): number => {
        try {
          if (id === CLOCKID_PROCESS_CPUTIME_ID || id === CLOCKID_THREAD_CPUTIME_ID) return ERRNO_BADF;
          if (id !== CLOCKID_REALTIME && id !== CLOCKID_MONOTONIC) return ERRNO_INVAL;
          this.#refresh();
          this.#dv.setBigUint64(out >>> 0, 1n, true); // nanosecond resolution (hrtime)
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'clock_time_get': return (id: number, _precision: bigint, out: number): number => {
        try {
          const now = this.#now(id);
          if (typeof now === 'number') return now;
          this.#refresh();
          this.#dv.setBigUint64(out >>> 0, now, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };

      case 'fd_advise': return (fd: number, _offset: bigint, _len: bigint, advice: number): number => {
        try {
          if (advice < 0 || advice > ADVICE_NOREUSE) return ERRNO_INVAL;
          if (table.dirty !== null) table.flushPending();
          if (!(this.#get(fd) instanceof FileDescriptor)) return ERRNO_BADF;
          return ERRNO_SUCCESS; // advisory only; Node has no posix_fadvise
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_allocate': return (fd: number, _offset: bigint, _len: bigint): number => {
        try {
          // Wasmtime: NOTSUP for files (WASI 0.2 dropped allocate), BADF otherwise.
          return this.#get(fd) instanceof FileDescriptor ? ERRNO_NOTSUP : ERRNO_BADF;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_close': return (fd: number): number => {
        try {
          const d = table.remove(fd);
          if (d === undefined) return ERRNO_BADF;
          table.flushPending();
          d.close();
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_datasync': return (fd: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          this.#get(fd).datasync();
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_sync': return (fd: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          this.#get(fd).sync();
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_fdstat_get': return (fd: number, out: number): number => {
        try {
          const d = this.#get(fd);
          this.#refresh();
          out >>>= 0;
          let base: bigint;
          let inheriting: bigint;
          let flags = 0;
          if (d instanceof InputStreamDescriptor) {
            base = inheriting = RIGHTS_FD_READ;
          } else if (d instanceof OutputStreamDescriptor) {
            base = inheriting = RIGHTS_FD_WRITE;
          } else if (d instanceof DirDescriptor) {
            if (d.preopenPath !== null) {
              base = PREOPEN_RIGHTS_BASE;
              inheriting = PREOPEN_RIGHTS_INHERITING;
            } else {
              base = inheriting = DIR_RIGHTS;
            }
          } else if (d instanceof FileDescriptor) {
            base = RIGHTS_ALL;
            if (!d.readable) base &= ~(RIGHTS_FD_READ | RIGHTS_FD_READDIR);
            if (!d.writable) base &= ~RIGHTS_FD_WRITE;
            inheriting = base;
            if (d.append) flags |= FDFLAGS_APPEND;
            if (d.nonblock) flags |= FDFLAGS_NONBLOCK;
          } else {
            base = inheriting = 0n;
          }
          if (out + 24 > this.#u8.length) oob();
          this.#dv.setBigUint64(out, 0n, true);
          this.#u8[out] = FILETYPE[d.type];
          this.#dv.setUint16(out + 2, flags, true);
          this.#dv.setBigUint64(out + 8, base, true);
          this.#dv.setBigUint64(out + 16, inheriting, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_fdstat_set_flags': return (fd: number, flags: number): number => {
        try {
          const d = this.#get(fd);
          if (!(d instanceof FileDescriptor)) return ERRNO_BADF;
          // Wasmtime: only APPEND and NONBLOCK can change; the sync flags are INVAL.
          if ((flags & (FDFLAGS_DSYNC | FDFLAGS_SYNC | FDFLAGS_RSYNC)) !== 0) return ERRNO_INVAL;
          d.flush();
          d.append = (flags & FDFLAGS_APPEND) !== 0;
          d.nonblock = (flags & FDFLAGS_NONBLOCK) !== 0;
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_fdstat_set_rights': return (fd: number, _base: bigint, _inheriting: bigint): number => {
        try {
          const d = this.#get(fd);
          // Wasmtime: NOTSUP for files and directories, BADF for stdio.
          return d instanceof FileDescriptor || d instanceof DirDescriptor ? ERRNO_NOTSUP : ERRNO_BADF;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_filestat_get': return (fd: number, out: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          const s = this.#get(fd).stat();
          this.#refresh();
          this.#writeFilestat(out >>> 0, s);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_filestat_set_size': return (fd: number, size: bigint): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          this.#get(fd).setSize(toNum(size));
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_filestat_set_times': return (fd: number, atim: bigint, mtim: bigint, fst: number): number => {
        try {
          const a = timeSpec(fst, atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW);
          const m = timeSpec(fst, mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW);
          if (table.dirty !== null) table.flushPending();
          this.#get(fd).setTimes(a, m);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_pread': return (fd: number, iovs: number, iovsLen: number, offset: bigint, out: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          const d = this.#get(fd);
          const total = this.#iov(d, iovs, iovsLen, toNum(offset), false);
          this.#dv.setUint32(out >>> 0, total, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_pwrite': return (fd: number, iovs: number, iovsLen: number, offset: bigint, out: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          const d = this.#get(fd);
          const total = this.#iov(d, iovs, iovsLen, toNum(offset), true);
          this.#dv.setUint32(out >>> 0, total, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_read': return (fd: number, iovs: number, iovsLen: number, out: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          const total = this.#iov(this.#get(fd), iovs, iovsLen, -1, false);
          this.#dv.setUint32(out >>> 0, total, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_write': return (fd: number, iovs: number, iovsLen: number, out: number): number => {
        try {
          const d = table.get(fd);
          if (d === undefined) return ERRNO_BADF;
          const dirty = table.dirty;
          if (dirty !== null && dirty !== d) table.flushPending();
          const total = this.#iov(d, iovs, iovsLen, -1, true);
          if (d instanceof FileDescriptor && d.dirty) table.markDirty(d);
          this.#dv.setUint32(out >>> 0, total, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_prestat_get': return (fd: number, out: number): number => {
        try {
          const d = table.get(fd);
          // Wasmtime (legacy behaviour): BADF for anything that is not a preopen.
          if (!(d instanceof DirDescriptor) || d.preopenPath === null) return ERRNO_BADF;
          this.#refresh();
          out >>>= 0;
          this.#dv.setUint32(out, 0, true); // tag PREOPENTYPE_DIR + padding
          this.#dv.setUint32(out + 4, encoder.encode(d.preopenPath).length, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_prestat_dir_name': return (fd: number, path: number, pathLen: number): number => {
        try {
          const d = this.#get(fd);
          // Wasmtime (legacy behaviour): NOTDIR for an fd that is not a preopen.
          if (!(d instanceof DirDescriptor) || d.preopenPath === null) return ERRNO_NOTDIR;
          const name = encoder.encode(d.preopenPath);
          if (name.length > pathLen >>> 0) return ERRNO_NAMETOOLONG;
          this.#refresh();
          path >>>= 0;
          if (path + name.length > this.#u8.length) oob();
          this.#u8.set(name, path);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_readdir': return (fd: number, buf: number, bufLen: number, cookie: bigint, out: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          const d = this.#dir(fd);
          const dirIno = d.stat().ino;
          const entries = d.entries(cookie === 0n);
          this.#refresh();
          buf >>>= 0;
          bufLen >>>= 0;
          if (buf + bufLen > this.#u8.length) oob();
          const head = new Uint8Array(24);
          const hv = new DataView(head.buffer);
          let used = 0;
          const count = entries.length + 2;
          for (let i = cookie > BigInt(count) ? count : Number(cookie); i < count; i++) {
            let name: string; let ino: bigint; let type: FileType;
            if (i < 2) { name = i === 0 ? '.' : '..'; ino = dirIno; type = 'directory'; }
            else { const e = entries[i - 2]!; name = e.name; ino = e.ino; type = e.type; }
            const nameBytes = encoder.encode(name);
            hv.setBigUint64(0, BigInt(i + 1), true);
            hv.setBigUint64(8, BigInt.asUintN(64, ino), true);
            hv.setUint32(16, nameBytes.length, true);
            hv.setUint32(20, FILETYPE[type], true);
            const h = Math.min(24, bufLen - used);
            this.#u8.set(head.subarray(0, h), buf + used);
            used += h;
            if (used === bufLen) break;
            const n = Math.min(nameBytes.length, bufLen - used);
            this.#u8.set(nameBytes.subarray(0, n), buf + used);
            used += n;
            if (used === bufLen) break;
          }
          this.#dv.setUint32(out >>> 0, used, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_renumber': return (from: number, to: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          const old = table.renumber(from, to);
          if (old === null) return ERRNO_BADF;
          if (old !== undefined) {
            try { old.close(); } catch { /* the replaced descriptor is gone either way */ }
          }
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_seek': return (fd: number, offset: bigint, whence: number, out: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          const d = this.#get(fd);
          const w = WHENCE[whence];
          if (w === undefined) { d.tell(); return ERRNO_INVAL; } // BADF/SPIPE take precedence
          if (offset > BigInt(Number.MAX_SAFE_INTEGER) || offset < -BigInt(Number.MAX_SAFE_INTEGER)) { d.tell(); return ERRNO_INVAL; }
          const pos = d.seek(Number(offset), w);
          this.#refresh();
          this.#dv.setBigUint64(out >>> 0, BigInt(pos), true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'fd_tell': return (fd: number, out: number): number => {
        try {
          const pos = this.#get(fd).tell();
          this.#refresh();
          this.#dv.setBigUint64(out >>> 0, BigInt(pos), true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };

      case 'path_create_directory': return (fd: number, path: number, pathLen: number): number => {
        try {
          this.#dirAt(fd).mkdirAt(this.#path(path, pathLen));
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_filestat_get': return (fd: number, flags: number, path: number, pathLen: number, out: number): number => {
        try {
          const s = this.#dirAt(fd).statAt(this.#path(path, pathLen), (flags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0);
          this.#writeFilestat(out >>> 0, s);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_filestat_set_times': return (fd: number, flags: number, path: number, pathLen: number, atim: bigint, mtim: bigint, fst: number): number => {
        try {
          const a = timeSpec(fst, atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW);
          const m = timeSpec(fst, mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW);
          this.#dirAt(fd).setTimesAt(this.#path(path, pathLen), (flags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0, a, m);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_link': return (oldFd: number, oldFlags: number, oldPath: number, oldLen: number, newFd: number, newPath: number, newLen: number): number => {
        try {
          const src = this.#dirAt(oldFd);
          const dst = this.#dir(newFd);
          const from = this.#path(oldPath, oldLen);
          const to = this.#path(newPath, newLen);
          // Wasmtime link_at: both dirs must allow mutation (PERM), then SYMLINK_FOLLOW is INVAL.
          if (src.readOnly || dst.readOnly) return ERRNO_PERM;
          if ((oldFlags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0) return ERRNO_INVAL;
          src.linkAt(from, dst, to);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_open': return (fd: number, dirflags: number, path: number, pathLen: number, oflags: number, rightsBase: bigint, _rightsInheriting: bigint, fdflags: number, out: number): number => {
        try {
          if (table.dirty !== null) table.flushPending();
          this.#refresh();
          const p = this.#path(path, pathLen);
          const d = table.get(fd);
          if (d instanceof FileDescriptor) return ERRNO_NOTDIR;
          if (!(d instanceof DirDescriptor)) return ERRNO_BADF;
          const create = (oflags & OFLAGS_CREAT) !== 0;
          const truncate = (oflags & OFLAGS_TRUNC) !== 0;
          const write = (rightsBase & RIGHTS_FD_WRITE) !== 0n;
          // Wasmtime open_at order: read-only preopen refuses create/truncate/write (PERM) first,
          // then the sync fdflags are unsupported (NOTSUP).
          if (d.readOnly && (create || truncate || write)) return ERRNO_PERM;
          if ((fdflags & (FDFLAGS_SYNC | FDFLAGS_DSYNC | FDFLAGS_RSYNC)) !== 0) return ERRNO_NOTSUP;
          if (table.full) return ERRNO_MFILE; // before opening: no host fd is taken in vain
          const opened = d.openAt(p, {
            followSymlinks: (dirflags & LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0,
            create,
            exclusive: (oflags & OFLAGS_EXCL) !== 0,
            truncate,
            directory: (oflags & OFLAGS_DIRECTORY) !== 0,
            read: (rightsBase & RIGHTS_FD_READ) !== 0n,
            write,
            append: (fdflags & FDFLAGS_APPEND) !== 0,
          });
          if (opened instanceof FileDescriptor) opened.nonblock = (fdflags & FDFLAGS_NONBLOCK) !== 0;
          const newFd = table.push(opened);
          this.#dv.setUint32(out >>> 0, newFd, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_readlink': return (fd: number, path: number, pathLen: number, buf: number, bufLen: number, out: number): number => {
        try {
          const target = encoder.encode(this.#dirAt(fd).readlinkAt(this.#path(path, pathLen)));
          const n = Math.min(target.length, bufLen >>> 0);
          buf >>>= 0;
          if (buf + n > this.#u8.length) oob();
          this.#u8.set(target.subarray(0, n), buf);
          this.#dv.setUint32(out >>> 0, n, true);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_remove_directory': return (fd: number, path: number, pathLen: number): number => {
        try {
          this.#dirAt(fd).rmdirAt(this.#path(path, pathLen));
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_rename': return (fd: number, oldPath: number, oldLen: number, newFd: number, newPath: number, newLen: number): number => {
        try {
          const src = this.#dirAt(fd);
          const dst = this.#dir(newFd);
          src.renameAt(this.#path(oldPath, oldLen), dst, this.#path(newPath, newLen));
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_symlink': return (oldPath: number, oldLen: number, fd: number, newPath: number, newLen: number): number => {
        try {
          this.#dirAt(fd).symlinkAt(this.#path(oldPath, oldLen), this.#path(newPath, newLen));
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };
      case 'path_unlink_file': return (fd: number, path: number, pathLen: number): number => {
        try {
          this.#dirAt(fd).unlinkAt(this.#path(path, pathLen));
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };

      case 'poll_oneoff': return (subsPtr: number, eventsPtr: number, nsubs: number, out: number): number => {
        try {
          return this.#pollOneoff(subsPtr >>> 0, eventsPtr >>> 0, nsubs >>> 0, out >>> 0);
        } catch (e) { return this.#fail(e); }
      };

      case 'proc_exit': return (code: number): never => {
        code >>>= 0;
        // Wasmtime: "exit with invalid exit status outside of [0..126)" is a trap.
        if (code >= 126) throw new WebAssembly.RuntimeError('exit with invalid exit status outside of [0..126)');
        throw new ProcExit(code);
      };
      // Wasmtime returns NOTSUP (not NOSYS): signals are not delivered to p1 guests.
      case 'proc_raise': return (_sig: number): number => ERRNO_NOTSUP;
      case 'sched_yield': return (): number => ERRNO_SUCCESS;
      case 'random_get': return (buf: number, len: number): number => {
        try {
          this.#refresh();
          buf >>>= 0;
          len >>>= 0;
          if (buf + len > this.#u8.length) oob();
          // randomFillSync fills in place: no copy, any length. node:crypto is loaded on first
          // use (process.getBuiltinModule caches it): loading it costs `wasmlet run` ~5 ms of
          // start-up that a guest which never asks for randomness should not pay.
          if (len > 0) (this.#randomFill ??= process.getBuiltinModule('node:crypto').randomFillSync)(this.#u8, buf, len);
          return ERRNO_SUCCESS;
        } catch (e) { return this.#fail(e); }
      };

      // Wasmtime: no p1 sockets; any open fd is NOTSOCK, a closed one BADF.
      case 'sock_accept': return (fd: number, _flags: number, _out: number): number => (table.get(fd) === undefined ? ERRNO_BADF : ERRNO_NOTSOCK);
      case 'sock_recv': return (fd: number, _iovs: number, _iovsLen: number, _riFlags: number, _outLen: number, _outFlags: number): number => (table.get(fd) === undefined ? ERRNO_BADF : ERRNO_NOTSOCK);
      case 'sock_send': return (fd: number, _iovs: number, _iovsLen: number, _siFlags: number, _out: number): number => (table.get(fd) === undefined ? ERRNO_BADF : ERRNO_NOTSOCK);
      case 'sock_shutdown': return (fd: number, _how: number): number => (table.get(fd) === undefined ? ERRNO_BADF : ERRNO_NOTSOCK);
      default: return undefined;
    }
  }

  /**
   * poll_oneoff: fd subscriptions on files and stdio are always ready (reads on a file report
   * the bytes left, HANGUP at EOF, as Wasmtime); if none is ready, sleeps until the earliest
   * clock subscription and reports every expired one. Zero subscriptions: EINVAL (Wasmtime).
   */
  #pollOneoff(subs: number, events: number, nsubs: number, out: number): number {
    if (nsubs === 0) return ERRNO_INVAL;
    const table = this.#table;
    if (table.dirty !== null) table.flushPending();
    this.#refresh();
    if (subs + nsubs * 48 > this.#u8.length || events + nsubs * 32 > this.#u8.length) oob();
    const dv = this.#dv;
    const now = process.hrtime.bigint();
    const deadlines: (bigint | null)[] = [];
    const ready: { userdata: bigint; type: number; nbytes: bigint; flags: number }[] = [];
    let earliest: bigint | null = null;
    for (let i = 0; i < nsubs; i++) {
      const s = subs + i * 48;
      const userdata = dv.getBigUint64(s, true);
      const tag = this.#u8[s + 8]!;
      if (tag === EVENTTYPE_CLOCK) {
        const id = dv.getUint32(s + 16, true);
        const timeout = dv.getBigUint64(s + 24, true);
        const abs = (dv.getUint16(s + 40, true) & SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
        let deadline: bigint;
        if (id === CLOCKID_MONOTONIC) deadline = abs ? timeout : now + timeout;
        else if (id === CLOCKID_REALTIME) deadline = abs ? now + (timeout - (this.#now(CLOCKID_REALTIME) as bigint)) : now + timeout;
        else return ERRNO_INVAL;
        deadlines.push(deadline);
        if (earliest === null || deadline < earliest) earliest = deadline;
      } else if (tag === EVENTTYPE_FD_READ || tag === EVENTTYPE_FD_WRITE) {
        deadlines.push(null);
        const d = table.get(dv.getUint32(s + 16, true));
        if (tag === EVENTTYPE_FD_READ) {
          if (d instanceof FileDescriptor) {
            const left = d.stat().size - BigInt(d.tell());
            ready.push({ userdata, type: tag, nbytes: left > 0n ? left : 0n, flags: left > 0n ? 0 : EVENTRWFLAGS_FD_READWRITE_HANGUP });
          } else if (d instanceof InputStreamDescriptor) {
            ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
          } else {
            return ERRNO_BADF;
          }
        } else if (d instanceof FileDescriptor || d instanceof OutputStreamDescriptor) {
          ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
        } else {
          return ERRNO_BADF;
        }
      } else {
        return ERRNO_INVAL;
      }
    }
    if (ready.length === 0 && earliest !== null) this.#sleepUntil(earliest);
    const after = process.hrtime.bigint();
    for (let i = 0; i < nsubs; i++) {
      const dl = deadlines[i];
      if (dl !== null && dl !== undefined && dl <= after) {
        ready.push({ userdata: dv.getBigUint64(subs + i * 48, true), type: EVENTTYPE_CLOCK, nbytes: 0n, flags: 0 });
      }
    }
    for (let i = 0; i < ready.length; i++) {
      const e = events + i * 32;
      const r = ready[i]!;
      dv.setBigUint64(e, r.userdata, true);
      dv.setUint16(e + 8, ERRNO_SUCCESS, true);
      dv.setUint16(e + 10, r.type, true); // type u8 + padding
      dv.setUint32(e + 12, 0, true);
      dv.setBigUint64(e + 16, r.nbytes, true);
      dv.setBigUint64(e + 24, BigInt(r.flags), true);
    }
    dv.setUint32(out, ready.length, true);
    return ERRNO_SUCCESS;
  }
}
