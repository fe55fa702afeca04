// Overload (issue "serve, second generation", section 3): `wasmlet serve examples/hello` under
// `wrk -t2 -d4s` at rising connection counts, next to a bare node:http hello (what the box and wrk
// themselves allow). Good = 2xx. Reported per server and count: all and
// good req/s, the share of 503s, p99, socket errors and the server's peak RSS during the run.
//
//   node_modules/.bin/node bench/overload.ts [--connections 32,128,256,512,1024] [--duration 4]
//                                             [--baseline DIR] [--workers N]
//
// --baseline DIR runs the same ladder against `wasmlet serve` from another checkout's sources (a
// `git worktree` of main, say), in the same run. The target: at 1024 connections, good req/s at
// least 90% of the 32-connection figure, p99 under 500 ms, no socket errors.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, get, loadavg, plainServer, toMs, startChild, stopChild, wasmletServer } from './http-bench.ts';

const SELF = fileURLToPath(import.meta.url);
const root = join(SELF, '../..');

interface Row { rps: number; good: number; share503: number; p99: number; socketErrors: number; rssMiB: number }

/** VmRSS of `pid` in MiB (0 when it cannot be read). */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** One wrk run while sampling the server's RSS every 100 ms. */
async function run(url: string, connections: number, seconds: number, pid: number): Promise<Row> {
  let peak = rssMiB(pid);
  const sampler = setInterval(() => { peak = Math.max(peak, rssMiB(pid)); }, 100);
  const out = await new Promise<string>((resolve, reject) => {
    const wrk = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', url]);
    let text = '';
    wrk.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    wrk.on('error', reject);
    wrk.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}:\n${text}`))));
  });
  clearInterval(sampler);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  return {
    rps: requests / seconds,
    good: (requests - non2xx) / seconds,
    share503: requests > 0 ? non2xx / requests : 0,
    p99: p99 ? toMs(p99[1]!) : NaN,
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    rssMiB: peak,
  };
}

async function driver(): Promise<void> {
  const { values } = parseArgs({
    options: { connections: { type: 'string' }, duration: { type: 'string' }, baseline: { type: 'string' }, workers: { type: 'string' } },
  });
  const ladder = (values.connections ?? '32,128,256,512,1024').split(',').map(Number);
  const seconds = Number(values.duration ?? 4);
  const extra = values.workers ? ['--workers', values.workers] : [];
  console.log(`overload: wasmlet serve examples/hello, wrk -t2 -d${seconds}s; node ${process.version}; load average ${loadavg()}`);
  console.log('server    conns    all rps   good rps   503 share   p99 ms   socket err   peak RSS MiB');
  // plain: a bare node:http hello, for what this box and wrk allow at each count (its p99 too).
  const servers = [{ name: 'plain', args: ['plain'] }, { name: 'wasmlet', args: ['wasmlet'] },
    ...values.baseline ? [{ name: 'baseline', args: ['baseline', values.baseline] }] : []];
  const good32 = new Map<string, number>();
  for (const s of servers) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hello`;
    const { proc } = await startChild(SELF, root, s.name === 'plain' ? ['plain', String(port)]
      : [...s.args, 'examples/hello', '--listen', `127.0.0.1:${port}`, ...extra], url);
    try {
      await run(url, 32, 1, proc.pid!); // warm-up: JIT, pools
      for (const c of ladder) {
        const r = await run(url, c, seconds, proc.pid!);
        if (c === ladder[0]) good32.set(s.name, r.good);
        console.log(`${s.name.padEnd(9)} ${String(c).padStart(5)} ${r.rps.toFixed(0).padStart(10)} ${r.good.toFixed(0).padStart(10)} `
          + `${(r.share503 * 100).toFixed(0).padStart(10)}% ${r.p99.toFixed(1).padStart(8)} ${String(r.socketErrors).padStart(12)} `
          + `${r.rssMiB.toFixed(0).padStart(14)}   good vs ${ladder[0]} conns: ${(r.good / good32.get(s.name)!).toFixed(2)}`);
      }
    } finally {
      await stopChild(proc);
    }
  }
  console.log(`load average at end: ${loadavg()}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, ...rest] = process.argv.slice(childAt + 1);
  if (kind === 'plain') plainServer(Number(rest[0]), 'Hello from plain Node!\n');
  else if (kind === 'wasmlet') await wasmletServer(rest);
  else if (kind === 'baseline') await wasmletServer(rest.slice(1), join(rest[0]!, 'src/cli/main.ts'));
  else throw new Error(`unknown child ${kind}`);
} else {
  await driver();
}
