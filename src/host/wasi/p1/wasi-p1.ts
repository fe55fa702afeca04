// WASI preview1 (`wasi_snapshot_preview1`) host: a thin ABI layer over the version-neutral context
// (../ctx.ts: descriptor table with its cap, preopens, args/env, clocks, random, stdio). The
// syscalls live one witx group per file (args-env, clocks-random, fd, path, poll, proc, sock), each
// a plain function of the instance's state (state.ts); syscall.ts binds them to an instance and is
// the one place errors become errno (errno.ts, the one table) and calls are traced. Behaviour
// follows the witx and, where the spec is vague, Wasmtime's crates/wasi/src/p1.rs (cited inline as
// "Wasmtime").
import { WasmletError } from '../../../util/errors.ts';
import { InputStreamDescriptor, OutputStreamDescriptor } from '../../../sandbox/descriptor.ts';
import type { AnyPreopenSpec } from '../../../sandbox/preopen.ts';
import { nullInput, nullOutput, type InputStream, type OutputStream } from '../../../sandbox/stdio.ts';
import { WasiCtx } from '../ctx.ts';
import { ARGS_ENV_SYSCALLS } from './args-env.ts';
import { CLOCKS_RANDOM_SYSCALLS } from './clocks-random.ts';
import { FD_SYSCALLS } from './fd.ts';
import { PATH_SYSCALLS } from './path.ts';
import { POLL_SYSCALLS } from './poll.ts';
import { PROC_SYSCALLS, ProcExit } from './proc.ts';
import { SOCK_SYSCALLS } from './sock.ts';
import { P1State } from './state.ts';
import { bindSyscall, type ImportFn, type Syscall } from './syscall.ts';

export { ProcExit };

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
   * sandbox/fd-table.ts). Must be at least 3 + the number of preopens (else the constructor
   * throws FsError EMFILE). The cap is the version-neutral context's (../ctx.ts): a WASI 0.2
   * guest has the same one.
   */
  maxOpenFds?: number;
}

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

/** Every syscall by witx name: the groups' union, built once (read-only; nothing per instance). */
const SYSCALLS: ReadonlyMap<string, Syscall> = new Map(Object.entries({
  ...ARGS_ENV_SYSCALLS, ...CLOCKS_RANDOM_SYSCALLS, ...FD_SYSCALLS, ...PATH_SYSCALLS,
  ...POLL_SYSCALLS, ...PROC_SYSCALLS, ...SOCK_SYSCALLS,
}));

const lossyDecoder = new TextDecoder('utf-8');

/**
 * A WASI preview1 host for one guest instance. Construct per instance (cheap: no syscalls;
 * imports, all of them or the `only` ones, are built on first access), pass `imports` to
 * `WebAssembly.Instance`, then `start()` a command or `initialize()` a reactor.
 */
export class WasiP1 {
  readonly #state: P1State;
  readonly #trace: ((line: string) => void) | undefined;
  readonly #only: readonly string[] | undefined;
  #imports: WebAssembly.Imports | null = null;

  /**
   * @param sharing another instance whose context (descriptor table, preopens, args, env, stdio)
   *   this one uses too, `options` then giving only `trace` and `only`: for modules linked into one
   *   program (an Extism manifest's modules), each binding its own memory, as one Wasmtime store's
   *   modules share one `WasiCtx`. Close it once, through either.
   */
  constructor(options: WasiP1Options = {}, sharing?: WasiP1) {
    this.#trace = options.trace;
    this.#only = options.only;
    if (sharing !== undefined) {
      this.#state = new P1State(sharing.#state.ctx);
      return;
    }
    const stdin = options.stdin ?? nullInput();
    const stdout = options.stdout ?? nullOutput();
    const stderr = options.stderr ?? nullOutput();
    const ctx = new WasiCtx<InputStream, OutputStream>({
      args: options.args, env: options.env, stdin, stdout, stderr, preopens: options.preopens, maxOpenFds: options.maxOpenFds,
    }, [new InputStreamDescriptor(stdin), new OutputStreamDescriptor(stdout), new OutputStreamDescriptor(stderr)]);
    this.#state = new P1State(ctx);
  }

  /** The import object: `{ wasi_snapshot_preview1: {...} }`. */
  get imports(): WebAssembly.Imports {
    return this.#imports ??= { wasi_snapshot_preview1: this.#build() };
  }

  /**
   * Runs a command: binds memory, calls `_start`, returns the exit code (0 when `_start`
   * returns, n on `proc_exit(n)`). Traps propagate (WebAssembly.RuntimeError). Always flushes
   * buffered output and closes the guest's host fds before returning or throwing.
   * Throws WasmletError WASMLET_ERR_NO_START / WASMLET_ERR_WASI_NO_MEMORY for a module that
   * is not a WASI command.
   */
  start(instance: WebAssembly.Instance): number {
    const start = instance.exports['_start'];
    if (typeof start !== 'function') {
      throw new WasmletError('WASMLET_ERR_NO_START', 'the module exports no `_start` function: it is not a WASI command (build it as a command, or call it as a reactor)', { blame: 'user' });
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
    this.#state.table.flushPending();
  }

  /** Flushes buffered writes and closes every host fd the guest opened. Idempotent. */
  dispose(): void {
    this.#state.ctx.close();
  }

  #bind(instance: WebAssembly.Instance): void {
    const memory = instance.exports['memory'];
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new WasmletError('WASMLET_ERR_WASI_NO_MEMORY', 'the module exports no `memory`: WASI modules must export their linear memory as `memory`', { blame: 'guest' });
    }
    this.#state.bind(memory);
  }

  #build(): Record<string, ImportFn> {
    const s = this.#state;
    const trace = this.#trace;
    const readString = trace === undefined ? undefined : (ptr: number, len: number): string => {
      s.refresh();
      return lossyDecoder.decode(s.u8.subarray(ptr, ptr + len));
    };
    const fns: Record<string, ImportFn> = {};
    const names = this.#only ?? WASI_P1_FUNCTIONS;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const impl = SYSCALLS.get(name);
      if (impl !== undefined) fns[name] = bindSyscall(s, name, impl, trace, readString);
    }
    return fns;
  }
}
