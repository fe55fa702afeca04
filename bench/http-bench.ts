// Helpers shared by the HTTP benchmarks (serve.ts, serve-component.ts): wrk runs and parsing,
// free ports, a one-shot GET, plain-Node and wasmlet server children, medians, load average.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';

/** One wrk run: req/s, latency percentiles in ms, error counts. */
export interface WrkResult {
  rps: number; p50: number; p99: number; non2xx: number; socketErrors: number; requests: number;
  /** non2xx + socketErrors. */
  errors: number;
}

/** ms from wrk's `1.23ms` / `850.00us` / `1.02s` / `1.5m`. */
export function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`cannot read wrk duration '${text}'`);
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60000;
}

/** Runs `wrk -t2 -cN -dSs --latency url` (Debian's wrk) and parses its report. */
export function wrk(url: string, seconds: number, connections = 32): WrkResult {
  const out = execFileSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const requests = /(\d+) requests in/.exec(out);
  if (!rps || !requests) throw new Error(`cannot parse wrk output:\n${out}`);
  const non2xxMatch = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = non2xxMatch ? Number(non2xxMatch[1]) : 0;
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: Number(rps[1]), p50: p50 ? toMs(p50[1]!) : NaN, p99: p99 ? toMs(p99[1]!) : NaN,
    non2xx, socketErrors, requests: Number(requests[1]), errors: non2xx + socketErrors,
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** GETs `url` on a fresh connection; resolves to the status (0 on a connection error). */
export function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const r = request(url, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    r.on('error', () => resolve(0));
    r.end();
  });
}

/** The floor: plain Node answering `body` (text/plain) on 127.0.0.1:port; prints `listening PORT`. */
export function plainServer(port: number, text: string): void {
  const body = Buffer.from(text);
  createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  }).listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
}

/** Runs `wasmlet serve ARGS` in this process from `from` (src/ by default, or a baseline tree's). */
export async function wasmletServer(args: string[], from = '../src/cli/main.ts'): Promise<void> {
  const { main } = await import(new URL(from, import.meta.url).href) as { main: (argv: string[]) => Promise<number> };
  process.exitCode = await main(['serve', ...args]);
}

/** The median of the numbers that are not NaN (NaN when none is). */
export function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).toSorted((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The 1, 5 and 15 minute load averages, for the report. */
export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/**
 * Spawns `node SCRIPT --child ...childArgs` (a benchmark re-running itself as a server) in `cwd`
 * and resolves once `url` answers 200; `ms` is spawn to first 200. stdout goes to `logFile` (or
 * nowhere). Rejects when the child exits before answering.
 */
export async function startChild(script: string, cwd: string, childArgs: string[], url: string, logFile?: string):
  Promise<{ proc: ChildProcess; ms: number }> {
  const t0 = performance.now();
  const out = logFile ? openSync(logFile, 'w') : 'ignore';
  const proc = spawn(process.execPath, ['--no-warnings', script, '--child', ...childArgs], { cwd, stdio: ['ignore', out, 'inherit'] });
  if (typeof out === 'number') closeSync(out);
  let exited = false;
  proc.on('exit', () => { exited = true; });
  for (;;) {
    if (exited) throw new Error(`server ${childArgs.join(' ')} exited before answering`);
    if (await get(url) === 200) return { proc, ms: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** SIGTERMs a child started by {@link startChild} and waits for it to exit. */
export function stopChild(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) { resolve(); return; }
    proc.on('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}
