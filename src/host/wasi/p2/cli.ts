// wasi:cli@0.2.x imports: environment, exit, stdin/stdout/stderr, terminal-*.
// Everything comes from the instance's context (../ctx.ts), built from the plain data in
// `CliOptions`; nothing is read from the host process.
import type { WasiCtx } from '../ctx.ts';
import { ExitSignal } from './exit-signal.ts';
import { InputStream, OutputStream, type ByteSink, type ByteSource } from './io.ts';

/** What a guest sees of its command line. Deny by default: every field is empty when omitted. */
export interface CliOptions {
  /** `get-arguments`, including argv[0] (the program name) if the embedder wants one. Default `[]`. */
  args?: readonly string[];
  /** `get-environment`. Default: no variables (the host's env is never passed implicitly). */
  env?: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
  /** `initial-cwd`. Default `undefined` (none). */
  cwd?: string;
  /** stdin bytes source. Default: an empty stream (reads report `closed`). */
  stdin?: ByteSource;
  /** stdout sink. Default: discarded. */
  stdout?: ByteSink;
  /** stderr sink. Default: discarded. */
  stderr?: ByteSink;
}

/** The default stdin: an empty stream (reads report `closed`). */
export const emptySource: ByteSource = { read: () => null, ready: () => true, wait: () => Promise.resolve() };
/** The default stdout/stderr: discards everything. */
export const discardSink: ByteSink = { write: () => {} };

/** A {@link ByteSink} that calls `onData` with a copy of every write (for capture or forwarding). */
export function callbackSink(onData: (bytes: Uint8Array) => void): ByteSink {
  return { write: (bytes) => onData(bytes.slice()) };
}

/** Builds the `wasi:cli/*` interface objects for one instance, from its context's grants. */
export function createCli(ctx: WasiCtx<ByteSource, ByteSink>): Record<string, object> {
  const args = ctx.args;
  const env = ctx.envPairs();
  const { stdin, stdout, stderr, cwd } = ctx;
  class TerminalInput {}
  class TerminalOutput {}
  return {
    environment: {
      getEnvironment: () => env.map(([k, v]) => [k, v]),
      getArguments: () => [...args],
      initialCwd: () => cwd,
    },
    exit: {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw new ExitSignal(status.tag === 'ok' ? 0 : 1);
      },
      exitWithCode(code: number): never {
        throw new ExitSignal(code);
      },
    },
    stdin: { getStdin: () => new InputStream(stdin) },
    stdout: { getStdout: () => new OutputStream(stdout) },
    stderr: { getStderr: () => new OutputStream(stderr) },
    'terminal-input': { TerminalInput },
    'terminal-output': { TerminalOutput },
    'terminal-stdin': { getTerminalStdin: () => undefined },
    'terminal-stdout': { getTerminalStdout: () => undefined },
    'terminal-stderr': { getTerminalStderr: () => undefined },
  };
}
