// Runs the wasmlet CLI from source as a child process (test/fixtures/serve/wasmlet-cli.ts), for
// the developer-loop tests: a command to completion, or a server until its `listening on` line.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { repoRoot } from './fixtures.ts';

const ENTRY = 'test/fixtures/serve/wasmlet-cli.ts';

/** A finished command: exit status and what it printed. */
export interface CliResult { status: number | null; stdout: string; stderr: string }

/** Runs `wasmlet ARGS` to completion in `cwd` (default: the repo root), `env` added to the environment. */
export function runCli(args: string[], cwd: string = repoRoot, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [`${repoRoot}/${ENTRY}`, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    proc.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A running `wasmlet serve` / `watch`: its URL, its output so far, and its exit. */
export interface CliServer { proc: ChildProcess; url: string; stdout: () => string; stderr: () => string; exit: Promise<number | null> }

/** Starts `wasmlet ARGS` and resolves once it logs `listening on URL` (rejects if it exits first). */
export async function startCliServer(args: string[], cwd: string = repoRoot): Promise<CliServer> {
  const proc = spawn(process.execPath, [`${repoRoot}/${ENTRY}`, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exit.then((code) => reject(new Error(`wasmlet ${args[0]} exited (${code}) before listening: ${stderr}`)));
  });
  return { proc, url, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Resolves once `check()` is true, polling every 20 ms; rejects with `what` after `limitMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
