// `wasmlet serve` as a child process (from source, test/fixtures/serve/wasmlet-cli.ts), for e2e
// tests: started on a free port, ready once its `listening on` line appears.
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './fixtures.ts';

const ENTRY = 'test/fixtures/serve/wasmlet-cli.ts';

/** A running `wasmlet serve`. */
export interface ServeChild {
  proc: ChildProcess;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Everything it wrote to stdout and stderr so far. */
  logs(): string;
  /** Its exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

/** The line `wasmlet serve` logs once its HTTP listener is up; group 1 is its URL. */
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Starts `wasmlet serve <args> --listen 127.0.0.1:0` with `env` added to the environment and
 * waits for its `listening on` line, or for `ready` (an app without HTTP triggers does not listen;
 * `url` is then `ready`'s group 1, or '').
 * @throws when it exits first (its output in the message).
 */
export async function startServe(args: string[], env: Record<string, string> = {}, ready: RegExp = LISTENING): Promise<ServeChild> {
  const proc = spawn(process.execPath, [ENTRY, 'serve', ...args, '--listen', '127.0.0.1:0'], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let logs = '';
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      logs += d.toString();
      const m = ready.exec(logs);
      if (m) resolve(m[1] ?? '');
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exit.then((code) => reject(new Error(`serve exited (${code}) before it was ready: ${logs}`)));
  });
  return { proc, url, logs: () => logs, exit };
}

/** Stops it with SIGINT (graceful) and returns its exit code; SIGKILL if it was still running after 10 s. */
export async function stopServe(child: ServeChild): Promise<number | null> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return child.exit;
  child.proc.kill('SIGINT');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 10_000);
  try { return await child.exit; } finally { clearTimeout(timer); }
}
