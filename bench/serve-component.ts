// `wasmlet serve` with a WASI 0.2 wasi:http component (the componentize-js hello of
// examples/http-component, StarlingMonkey, 14 MB) against references, side by side in one run:
//   wasmlet        `wasmlet serve` (from source): a fresh instance per request, worker pool;
//   jco            `jco serve`: one shared instance for every request (no isolation); its default
//                  mode answers only the first request of a componentize-js handler, so count
//                  the non-2xx column before reading its req/s;
//   jco-instance   `jco serve --isolate-requests instance`: a fresh instance per request, on the
//                  main thread (when the installed jco has the option);
//   plain          Node `http.createServer` answering a fixed hello: the floor of the HTTP stack.
// Each server is its own process (group), started once; `wrk -t2 -c32 -d5s --latency` runs against
// each in turn, the order rotating every round, 3 rounds; the table shows medians. Then: process
// start to the first 200 of `wasmlet serve` for a never-seen component, with a cold transpile cache
// (jco transpile + compile) and a warm one (compile only).
//
//   node_modules/.bin/node bench/serve-component.ts [--quick] [--rounds N] [--duration S]
//                                                   [--workers N] [--only wasmlet,plain] [--baseline DIR]
//
// --baseline DIR adds `baseline`: `wasmlet serve` run from the sources of another checkout
// (DIR/src/cli/main.ts) in the same interleaved rounds, for a before/after in one run.
//
// The machine is shared: the load average is printed with the results; rerun when it is high.
// Every child is killed on exit (normal, error, SIGINT/SIGTERM): each runs in its own process
// group, and the group is signalled (jco serve runs its server in a grandchild).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, get, loadavg, median, plainServer, wasmletServer, wrk, type WrkResult } from './http-bench.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const EXAMPLE = join(root, 'examples/http-component');
const JCO = join(root, 'node_modules/@bytecodealliance/jco/dist/jco.js');

// ---------------------------------------------------------------- child processes

// ---------------------------------------------------------------- the driver

/** Every child process group this run started, killed on exit whatever happens. */
const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children) {
    try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* already gone */ }
  }
  children.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => { killAll(); process.exit(130); });

interface Server { name: string; url: string; proc: ChildProcess; ms: number }

/** Spawns `argv` in its own process group and resolves once `url` answers 200 (`ms`: spawn to it). */
async function startServer(name: string, argv: string[], url: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<Server> {
  const t0 = performance.now();
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], detached: true, env: { ...process.env, ...env } });
  children.add(proc);
  let exited = false;
  proc.on('exit', () => { exited = true; });
  for (;;) {
    if (exited) throw new Error(`${name} exited before answering`);
    if (performance.now() - t0 > timeoutMs) { await stop({ proc }); throw new Error(`${name} did not answer within ${timeoutMs} ms`); }
    if (await get(url) === 200) return { name, url, proc, ms: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, 5));
  }
}

function stop(server: Pick<Server, 'proc'>): Promise<void> {
  const { proc } = server;
  return new Promise((resolve) => {
    children.delete(proc);
    if (proc.exitCode !== null || proc.signalCode !== null) { resolve(); return; }
    const kill = setTimeout(() => { try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    proc.on('exit', () => { clearTimeout(kill); try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ } resolve(); });
    try { process.kill(-proc.pid!, 'SIGTERM'); } catch { resolve(); }
  });
}

/** examples/http-component/handler.wasm, built with componentize-js if it is missing. */
async function exampleComponent(): Promise<string> {
  const wasm = join(EXAMPLE, 'handler.wasm');
  if (existsSync(wasm)) return wasm;
  const { buildExampleHttpComponent } = await import('../test/support/components.ts');
  console.log('building examples/http-component/handler.wasm (componentize-js)...');
  return buildExampleHttpComponent();
}

function jcoHasInstanceIsolation(): boolean {
  const help = execFileSync(process.execPath, [JCO, 'serve', '--help'], { encoding: 'utf8' });
  return /--isolate-requests[\s\S]*"instance"/.test(help);
}

async function driver(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, rounds: { type: 'string' }, duration: { type: 'string' },
      workers: { type: 'string' }, only: { type: 'string' }, baseline: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
  const seconds = Number(values.duration ?? (values.quick ? 2 : 5));
  const workers = values.workers ?? '2';
  const only = values.only?.split(',');
  const wasm = await exampleComponent();
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-serve-component-'));
  const node = process.execPath;
  try {
    // The app: the example's manifest (memory and timeout limits included) and component.
    const app = join(dir, 'app');
    mkdirSync(app);
    copyFileSync(join(EXAMPLE, 'wasmlet.toml'), join(app, 'wasmlet.toml'));
    copyFileSync(wasm, join(app, 'handler.wasm'));
    console.log(`wasi:http component benchmark (${(readFileSync(wasm).length / 1048576).toFixed(1)} MB componentize-js hello): node ${process.version}, `
      + `wrk -t2 -c32 -d${seconds}s --latency, ${rounds} round(s), wasmlet --workers ${workers}, load average at start ${loadavg()}`);

    const instanceMode = jcoHasInstanceIsolation();
    const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    const cacheDir = join(dir, 'cache');
    const all = [
      { name: 'wasmlet', argv: [node, '--no-warnings', SELF, '--child', 'wasmlet', app, '--listen', `127.0.0.1:${ports[0]}`, '--workers', workers],
        port: ports[0]!, env: { WASMLET_CACHE_DIR: cacheDir } },
      ...values.baseline ? [{
        name: 'baseline', argv: [node, '--no-warnings', SELF, '--child', 'baseline', values.baseline, app, '--listen', `127.0.0.1:${ports[4]}`, '--workers', workers],
        port: ports[4]!, env: { WASMLET_CACHE_DIR: join(dir, 'baseline-cache') },
      }] : [],
      { name: 'jco', argv: [node, JCO, 'serve', '--host', '127.0.0.1', '--port', String(ports[1]), '--jco-dir', join(dir, 'jco-shared'), wasm], port: ports[1]! },
      ...instanceMode ? [{
        name: 'jco-instance', argv: [node, JCO, 'serve', '--host', '127.0.0.1', '--port', String(ports[2]), '--isolate-requests', 'instance',
          '--jco-dir', join(dir, 'jco-instance'), wasm], port: ports[2]!,
      }] : [],
      { name: 'plain', argv: [node, SELF, '--child', 'plain', String(ports[3])], port: ports[3]! },
    ].filter((s) => !only || only.includes(s.name) || s.name === 'baseline'); // --baseline is its own ask
    const servers: Server[] = [];
    for (const s of all) servers.push(await startServer(s.name, s.argv, `http://127.0.0.1:${s.port}/`, s.env ?? {}));
    for (const s of servers) wrk(s.url, 1); // warm-up: JIT, workers, memory pools
    const results = new Map<string, WrkResult[]>(servers.map((s) => [s.name, []]));
    const loads: string[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[(i + r) % servers.length]!;
        results.get(s.name)!.push(wrk(s.url, seconds));
      }
      loads.push(loadavg());
    }
    await Promise.all(servers.map(stop));

    const med = (name: string, key: 'rps' | 'p50' | 'p99') => median(results.get(name)?.map((x) => x[key]) ?? [NaN]);
    const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(3) : '-').padStart(10);
    console.log('');
    console.log('server          req/s (median)   p50 ms    p99 ms   vs plain  wasmlet/x   non-2xx   sock err  requests  req/s per round');
    for (const s of servers) {
      const rs = results.get(s.name)!;
      const rps = med(s.name, 'rps');
      console.log(`${s.name.padEnd(14)} ${rps.toFixed(1).padStart(15)} ${med(s.name, 'p50').toFixed(2).padStart(8)} `
        + `${med(s.name, 'p99').toFixed(2).padStart(9)} ${ratio(rps, med('plain', 'rps'))} ${ratio(med('wasmlet', 'rps'), rps)} `
        + `${rs.reduce((a, x) => a + x.non2xx, 0).toString().padStart(9)} ${rs.reduce((a, x) => a + x.socketErrors, 0).toString().padStart(10)} `
        + `${rs.reduce((a, x) => a + x.requests, 0).toString().padStart(9)}  ${rs.map((x) => x.rps.toFixed(0)).join(' ')}`);
    }
    console.log(`load average after each round: ${loads.join(' | ')}`);
    if (!instanceMode && (!only || only.includes('jco-instance'))) console.log('(the installed jco has no --isolate-requests instance)');

    // First request to a never-seen component: cold cache (transpile + compile), then warm.
    if (!only || only.includes('wasmlet')) {
      console.log('');
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < (values.quick ? 1 : 3); i++) {
        const fresh = join(dir, `first-${i}`);
        for (const into of [cold, warm]) {
          const port = await freePort();
          const s = await startServer('wasmlet', [node, '--no-warnings', SELF, '--child', 'wasmlet', app, '--listen', `127.0.0.1:${port}`, '--workers', workers],
            `http://127.0.0.1:${port}/`, { WASMLET_CACHE_DIR: fresh });
          into.push(s.ms);
          await stop(s);
        }
        rmSync(fresh, { recursive: true, force: true });
      }
      console.log(`wasmlet serve, never-seen component, process start to first 200: cold transpile cache median ${median(cold).toFixed(0)} ms `
        + `(${cold.map((x) => x.toFixed(0)).join(', ')}), warm cache median ${median(warm).toFixed(0)} ms (${warm.map((x) => x.toFixed(0)).join(', ')})`);
    }
    // What no fresh-instance server can beat on this machine: instantiation + the guest's own
    // handling, measured in process on the same component (bench/component-instantiate.ts --http).
    if (!only || only.includes('wasmlet')) {
      const report = execFileSync(node, ['--no-warnings', join(root, 'bench/component-instantiate.ts'), '--http', wasm, '--n', values.quick ? '30' : '100'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const floor = report.split('\n').find((l) => l.startsWith('=> floor'));
      console.log(`\nthe same component in process, ${floor ?? report}`);
    }
    console.log(`load average at end: ${loadavg()}`);
  } finally {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, ...rest] = process.argv.slice(childAt + 1);
  if (kind === 'plain') plainServer(Number(rest[0]), 'Hello from plain Node! GET /\n');
  else if (kind === 'wasmlet') await wasmletServer(rest);
  else if (kind === 'baseline') await wasmletServer(rest.slice(1), join(rest[0]!, 'src/cli/main.ts'));
  else throw new Error(`unknown child ${kind}`);
} else {
  await driver();
}
