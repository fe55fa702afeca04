// A noisy neighbour next to a quiet tenant (issue "serve, second generation", section 1): an app
// with `/hello` (the C WAGI hello) and `/spin` (a guest that loops forever, `limits.timeout =
// "1s"`). A client fires S concurrent `/spin`; meanwhile another sends one `/hello` every 20 ms for
// 2 s, each on its own connection. Reported per server and S: /hello latency (p50, p99, max) and
// statuses, /spin statuses and when the slowest one was answered.
//
//   node_modules/.bin/node bench/noisy-neighbour.ts [--spins 8,32] [--baseline DIR] [--workers N] [--verbose]
//
// --verbose also lists each /hello slower than 30 ms with when it was sent.
//
// --baseline DIR runs the same scenario against `wasmlet serve` from another checkout's sources
// (for example a `git worktree` of main), side by side in the same run.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, get, loadavg, median, startChild, stopChild, wasmletServer } from './http-bench.ts';

const SELF = fileURLToPath(import.meta.url);
const root = join(SELF, '../..');

/** Writes the app (hello.wasm, spin.wasm, wasmlet.toml) into a temp dir. */
async function makeApp(): Promise<string> {
  const { buildWat } = await import('../test/support/fixtures.ts');
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-noisy-'));
  copyFileSync(join(root, 'examples/hello/hello.wasm'), join(dir, 'hello.wasm'));
  copyFileSync(await buildWat(join(root, 'examples/limits/loop.wat')), join(dir, 'spin.wasm'));
  writeFileSync(join(dir, 'wasmlet.toml'), `spin_manifest_version = 2
[application]
name = "noisy"
[[trigger.http]]
route = "/hello"
component = "hello"
[[trigger.http]]
route = "/spin"
component = "spin"
[component.hello]
source = "hello.wasm"
[component.spin]
source = "spin.wasm"
limits = { timeout = "1s" }
`);
  return dir;
}

interface Timed { status: number; ms: number }

async function timedGet(url: string): Promise<Timed> {
  const t0 = performance.now();
  const status = await get(url);
  return { status, ms: performance.now() - t0 };
}

function percentile(xs: number[], p: number): number {
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function scenario(base: string, spins: number, verbose: boolean): Promise<string> {
  const spinning = Array.from({ length: spins }, () => timedGet(`${base}/spin`));
  const hellos: Promise<Timed>[] = [];
  for (let i = 0; i < 100; i++) {
    hellos.push(timedGet(`${base}/hello`));
    await new Promise((r) => setTimeout(r, 20));
  }
  const h = await Promise.all(hellos);
  if (verbose) console.log(`  slow /hello (sent at ms: took ms): ${h.map((x, i) => x.ms > 30 ? `${i * 20}:${x.ms.toFixed(0)}` : '').filter(Boolean).join(' ')}`);
  const s = await Promise.all(spinning);
  const ms = h.map((x) => x.ms);
  const ok = h.filter((x) => x.status === 200).length;
  const spin5xx = s.filter((x) => x.status >= 500).length;
  return `${String(spins).padStart(5)} ${String(`${ok}/${h.length}`).padStart(9)} ${median(ms).toFixed(1).padStart(8)} `
    + `${percentile(ms, 99).toFixed(1).padStart(8)} ${Math.max(...ms).toFixed(1).padStart(8)} `
    + `${String(`${spin5xx}/${s.length}`).padStart(9)} ${Math.max(...s.map((x) => x.ms)).toFixed(0).padStart(10)}`;
}

async function driver(): Promise<void> {
  const { values } = parseArgs({ options: { spins: { type: 'string' }, baseline: { type: 'string' }, workers: { type: 'string' }, verbose: { type: 'boolean' } } });
  const spinCounts = (values.spins ?? '8,32').split(',').map(Number);
  const extra = values.workers ? ['--workers', values.workers] : [];
  const app = await makeApp();
  console.log(`noisy neighbour: /spin loops (1 s timeout), /hello every 20 ms for 2 s; node ${process.version}, load average ${loadavg()}`);
  console.log('server    spins  hello ok   p50 ms   p99 ms   max ms  spin 5xx  slowest spin ms');
  try {
    const servers = [{ name: 'wasmlet', args: ['wasmlet'] }, ...values.baseline ? [{ name: 'baseline', args: ['baseline', values.baseline] }] : []];
    for (const spins of spinCounts) {
      for (const s of servers) {
        const port = await freePort();
        const base = `http://127.0.0.1:${port}`;
        const { proc } = await startChild(SELF, root, [...s.args, app, '--listen', `127.0.0.1:${port}`, ...extra], `${base}/hello`);
        try {
          for (let i = 0; i < 20; i++) await get(`${base}/hello`); // warm-up
          console.log(`${s.name.padEnd(9)} ${await scenario(base, spins, values.verbose ?? false)}`);
        } finally {
          await stopChild(proc);
        }
      }
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
  console.log(`load average at end: ${loadavg()}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, ...rest] = process.argv.slice(childAt + 1);
  if (kind === 'wasmlet') await wasmletServer(rest);
  else if (kind === 'baseline') await wasmletServer(rest.slice(1), join(rest[0]!, 'src/cli/main.ts'));
  else throw new Error(`unknown child ${kind}`);
} else {
  await driver();
}
