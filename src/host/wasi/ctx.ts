// The version-neutral WASI context of ONE guest instance: what the guest was granted (args, env,
// cwd, stdio, preopens), its clocks and random sources, and its descriptor table with the cap on
// open descriptors. WASI p1 (p1/wasi-p1.ts) and WASI 0.2 (p2/host.ts) are thin ABI layers over
// it, each with one error table (p1/errno.ts, p2/filesystem-error-code.ts). This follows
// Wasmtime's crates/wasi/src/ctx.rs, where one `WasiCtxBuilder<I, O>` (cli, clocks, random,
// sockets; generic over the stdio stream types because p1 and p2 stream differently) is shared
// by p1.rs and the p2 host. Built per instance from plain data; building it does no I/O.
import { DirDescriptor, type Descriptor } from '../../sandbox/descriptor.ts';
import { FdTable } from '../../sandbox/fd-table.ts';
import { preopenVfses, type AnyPreopenSpec } from '../../sandbox/preopen.ts';
import { WasiClocks } from './clocks.ts';
import { WasiRandom } from './random.ts';

/** An environment: an object (key order kept) or a list of pairs (duplicates kept, as Wasmtime). */
export type WasiEnv = Readonly<Record<string, string>> | readonly (readonly [string, string])[];

/**
 * What one instance is granted. Deny by default (Wasmtime's `WasiCtxBuilder::new`): no args, no
 * env, no cwd, no preopens. The stdio streams have no default here: each ABI supplies its own
 * empty/discarding ones, of its own stream type.
 */
export interface WasiCtxOptions<I, O> {
  /** argv, argv[0] included. Default `[]`. */
  args?: readonly string[] | undefined;
  /** Default: no variables (nothing is inherited from the host). */
  env?: WasiEnv | undefined;
  /** `wasi:cli/environment.initial-cwd` (p1 has none). Default: none. */
  cwd?: string | undefined;
  stdin: I;
  stdout: O;
  stderr: O;
  /** Directories the guest may use, numbered after `numbered` in this order. Default: none. */
  preopens?: readonly AnyPreopenSpec[] | undefined;
  /**
   * Descriptors the guest may hold open at once: every entry of the table counts (p1's stdio,
   * the preopens, every file or directory opened). Opening past it fails with the ABI's
   * "too many open files" (p1 `ERRNO_MFILE`, p2 `insufficient-memory`) and opens nothing on the
   * host. Default 1024 (DEFAULT_MAX_OPEN_FDS, sandbox/fd-table.ts, which says why there is a cap).
   * Must be at least the numbered descriptors + the preopens: else the constructor throws
   * FsError EMFILE.
   */
  maxOpenFds?: number | undefined;
}

/** A preopened directory: its number in the table, its descriptor and the name the guest sees. */
export interface WasiPreopen {
  readonly fd: number;
  readonly dir: DirDescriptor;
  readonly guestPath: string;
  readonly readOnly: boolean;
}

const NO_PREOPENS: readonly WasiPreopen[] = Object.freeze([]);

/**
 * One guest instance's WASI state. `I`/`O` are the ABI's stdin and stdout/stderr stream types.
 * `close()` flushes and closes every descriptor (the instance's host files) and is idempotent.
 */
export class WasiCtx<I, O> {
  readonly args: readonly string[];
  readonly env: WasiEnv;
  readonly cwd: string | undefined;
  readonly stdin: I;
  readonly stdout: O;
  readonly stderr: O;
  /** The descriptor table, cap included; p1 fd numbers are its slots. */
  readonly table: FdTable;
  readonly preopens: readonly WasiPreopen[];
  #clocks: WasiClocks | null = null;
  #random: WasiRandom | null = null;

  /**
   * @param numbered descriptors the ABI numbers before the preopens: p1's stdio as fds 0, 1, 2
   *   (`wasi_snapshot_preview1` hands them out as descriptors); none for WASI 0.2, whose stdio are
   *   `wasi:cli` streams, not descriptors.
   * @throws FsError EMFILE when `maxOpenFds` is below `numbered.length` + the preopens.
   */
  constructor(options: WasiCtxOptions<I, O>, numbered: readonly Descriptor[] = []) {
    this.args = options.args ?? [];
    this.env = options.env ?? {};
    this.cwd = options.cwd;
    this.stdin = options.stdin;
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    const t = this.table = new FdTable(options.maxOpenFds);
    for (let i = 0; i < numbered.length; i++) t.push(numbered[i]!);
    const specs = options.preopens;
    if (specs === undefined || specs.length === 0) {
      this.preopens = NO_PREOPENS;
      return;
    }
    const vfses = preopenVfses(specs);
    const preopens: WasiPreopen[] = [];
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const readOnly = spec.readOnly === true;
      const dir = new DirDescriptor(vfses[i]!, '', readOnly, spec.guestPath);
      preopens.push({ fd: t.push(dir), dir, guestPath: spec.guestPath, readOnly });
    }
    this.preopens = preopens;
  }

  /** The instance's clocks (made on first use). */
  get clocks(): WasiClocks {
    return this.#clocks ??= new WasiClocks();
  }

  /** The instance's random sources (made on first use). */
  get random(): WasiRandom {
    return this.#random ??= new WasiRandom();
  }

  /** The environment as `[key, value]` pairs, in order. */
  envPairs(): [string, string][] {
    const env = this.env;
    return Array.isArray(env)
      ? (env as readonly (readonly [string, string])[]).map(([k, v]) => [k, v])
      : Object.entries(env as Readonly<Record<string, string>>);
  }

  /** Flushes buffered writes and closes every descriptor (teardown: errors ignored). Idempotent. */
  close(): void {
    this.table.closeAll();
  }
}
