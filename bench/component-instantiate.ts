// The per-request cost of a WASI 0.2 component with a fresh instance per request, in process:
// prepare (transpile output already on disk), instantiate (fresh host + jco glue + core
// instances), and a full request (instantiate + call + drain the body / run to exit). Fixtures:
// the componentize-js http-echo handler (StarlingMonkey, 14 MB) and the C hello command (jco's
// preview1 adapter). The baseline is plain `new WebAssembly.Instance` of the same core modules with
// stub imports, in jco's order, so the ratio shows what jco's glue and our host add.
//
//   node_modules/.bin/node bench/component-instantiate.ts [--n 200] [--quick] [--no-recycle] [--http PATH]
//
// --no-recycle prepares with `recycleMemory: false` (every instance gets a new linear memory), to
// show what memory recycling buys.
//
// Every iteration yields to the event loop (`setImmediate`) as a server does between requests:
// without that, V8 never runs the tasks that free old instances and the loop measures a leak.
// Figures are wall-clock median / p90 per operation plus CPU per operation (process CPU time over
// the timed loop, all threads: includes GC and V8 background work a sustained load pays for).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCComponent, buildHttpEchoComponent } from '../test/support/components.ts';
import { repoRoot } from '../test/support/fixtures.ts';
import { prepareComponent, type PreparedComponent } from '../src/engine/component/transpile.ts';
import { createComponentInstance, findExport } from '../src/engine/component/instantiate.ts';
import { handleHttpRequest, handleHttpRequestOn, type HttpResponseOutput } from '../src/engine/component/http-handler.ts';
import { PrewarmedInstances } from '../src/engine/component/prewarmed-instances.ts';
import { runComponentCommand } from '../src/engine/component/run-command.ts';
import { createWasiP2Host } from '../src/host/wasi/p2/host.ts';
import { QueueSource } from '../src/host/wasi/p2/io.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const nIdx = argv.indexOf('--n');
const n = nIdx >= 0 ? Number(argv[nIdx + 1]) : quick ? 60 : 200;
const warmup = Math.max(10, n >> 2);
const recycleMemory = !argv.includes('--no-recycle');
// --http PATH: measure this wasi:http component instead of the http-echo fixture, and skip the C
// command fixture (serve-component.ts passes the component it serves, to print the floor beside
// its served figures).
const httpIdx = argv.indexOf('--http');
const httpPath = httpIdx >= 0 ? argv[httpIdx + 1] : undefined;

interface Row { name: string; medianMs: number; p90Ms: number; cpuMs: number }

/** Requests/s of one thread with `concurrency` requests in flight back to back (a saturated core). */
async function saturate(total: number, concurrency: number, request: () => Promise<void>): Promise<{ rps: number; cpuMs: number }> {
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < total) { await request(); await yieldToLoop(); }
  }));
  const c = process.cpuUsage(c0);
  return { rps: total / ((performance.now() - t0) / 1000), cpuMs: (c.user + c.system) / 1000 / total };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `between` runs untimed after each sample (its CPU counts: e.g. a pool refilling in idle time). */
async function measure(name: string, iterations: number, once: () => Promise<unknown> | unknown, between: () => Promise<unknown> = yieldToLoop): Promise<Row> {
  for (let i = 0; i < warmup; i++) { await once(); await between(); }
  const samples: number[] = [];
  let cpu = 0;
  for (let i = 0; i < iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
    await yieldToLoop(); // deferred cleanup of this instance counts toward its cost
    await between();
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
  }
  samples.sort((a, b) => a - b);
  return { name, medianMs: samples[samples.length >> 1]!, p90Ms: samples[Math.floor(samples.length * 0.9)]!, cpuMs: cpu / iterations };
}

/**
 * Plain core instances of the modules as jco wrote them (memories not rewritten), in dependency
 * order: each module gets stub functions and the memory/table it imports.
 */
function baselineInstantiate(prepared: PreparedComponent): () => void {
  const modules = [...prepared.coreModules.keys()].map((f) => [f, new WebAssembly.Module(readFileSync(join(prepared.dir, f)))] as const);
  return () => {
    const exported: Record<string, WebAssembly.ExportValue> = {};
    // Instantiate modules that need no memory/table first (jco does the same), then the rest.
    const pending = [...modules];
    for (let guard = 0; pending.length > 0 && guard < 10; guard++) {
      for (let i = 0; i < pending.length; i++) {
        const [, module] = pending[i]!;
        const imports: Record<string, Record<string, WebAssembly.ExportValue | (() => void)>> = {};
        let ok = true;
        for (const imp of WebAssembly.Module.imports(module)) {
          const ns = (imports[imp.module] ??= {});
          if (imp.kind === 'function') ns[imp.name] = () => {};
          else if (exported[imp.kind] !== undefined) ns[imp.name] = exported[imp.kind]!;
          else ok = false;
        }
        if (!ok) continue;
        const instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
        for (const [k, v] of Object.entries(instance.exports)) {
          if (v instanceof WebAssembly.Memory) exported.memory = v;
          else if (v instanceof WebAssembly.Table) exported.table = v;
          else void k;
        }
        pending.splice(i--, 1);
      }
    }
  };
}

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-component-'));
const rows: { fixture: string; rows: Row[] }[] = [];
const saturated: string[] = [];
try {
  const fixtures = [
    { fixture: httpPath ? `http ${httpPath}` : 'http-echo (componentize-js)', path: httpPath ?? await buildHttpEchoComponent(), kind: 'http' as const },
    ...httpPath ? [] : [{ fixture: 'c-hello (C + preview1 adapter)', path: await buildCComponent(join(repoRoot, 'test/fixtures/components/c-hello/hello.c')), kind: 'command' as const }],
  ];
  for (const f of fixtures) {
    const bytes = readFileSync(f.path);
    await prepareComponent(bytes, { cacheDir }); // cold: transpile into the disk cache
    const out: Row[] = [];
    out.push(await measure('prepare (warm disk cache)', Math.max(5, n >> 4), () => prepareComponent(bytes, { cacheDir, recycleMemory })));
    const prepared = await prepareComponent(bytes, { cacheDir, recycleMemory });
    out.push(await measure('baseline: new WebAssembly.Instance x core modules', n, baselineInstantiate(prepared)));
    out.push(await measure('instantiate (host + glue + core instances)', n, async () => {
      (await createComponentInstance(prepared, createWasiP2Host().imports)).retire();
    }));
    if (f.kind === 'http') {
      const get = async (res: Promise<HttpResponseOutput>) => {
        const r = await res;
        for await (const chunk of r.body) void chunk;
        await r.done;
      };
      // Partial load: between requests the pool refills and the thread idles 2 ms.
      const prewarmed = new PrewarmedInstances(prepared, {}, { size: 2 });
      out.push(await measure('pre-warmed: request on a ready instance', n,
        async () => get(handleHttpRequestOn(await prewarmed.take(), { method: 'GET', pathWithQuery: '/bench' })),
        async () => { await prewarmed.whenReady(); await new Promise((resolve) => setTimeout(resolve, 2)); }));
      const total = n * 2;
      const plain = await saturate(total, 8, () => get(handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/bench' })));
      const pooled = await saturate(total, 8, async () => get(handleHttpRequestOn(await prewarmed.take(), { method: 'GET', pathWithQuery: '/bench' })));
      prewarmed.close();
      saturated.push(`saturated, 8 in flight, ${total} requests, one thread: fresh ${plain.rps.toFixed(0)} rps (${plain.cpuMs.toFixed(2)} ms CPU/req), pre-warmed ${pooled.rps.toFixed(0)} rps (${pooled.cpuMs.toFixed(2)} ms CPU/req; hits ${JSON.stringify(prewarmed.stats())})`);
      // Diagnostic floor, not a serving mode: the guest's own work on an instance that already
      // served a request (no instantiation, no first-call costs).
      const host = createWasiP2Host();
      const { exports } = await createComponentInstance(prepared, host.imports);
      const handle = findExport(exports, 'wasi:http/incoming-handler')!.handle as (req: object, out: object) => Promise<void>;
      out.push(await measure('(floor) handle on an already-used instance', n, async () => {
        const body = new QueueSource();
        body.end();
        const req = host.http.createIncomingRequest({ method: 'GET', pathWithQuery: '/bench', scheme: 'http', authority: 'localhost', headers: [], body });
        const { outparam, response } = host.http.createResponseOutparam();
        const done = handle(req, outparam);
        for await (const chunk of (await response).body) void chunk;
        await done;
      }));
      out.push(await measure('full request (instantiate + GET + drain body)', n, async () => {
        const res = await handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/bench' });
        for await (const chunk of res.body) void chunk;
        await res.done;
      }));
    } else {
      out.push(await measure('full run (instantiate + run to exit)', n, () => runComponentCommand(prepared, { args: ['hello'] })));
    }
    rows.push({ fixture: f.fixture, rows: out });
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}

const fmt = (x: number) => x.toFixed(2).padStart(8);
console.log(`node ${process.version}, ${n} iterations per row after ${warmup} warm-up, times in ms, memory recycling ${recycleMemory ? 'on' : 'off'}`);
for (const { fixture, rows: rs } of rows) {
  console.log(`\n${fixture}`);
  console.log(`${'row'.padEnd(52)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'cpu/op'.padStart(8)} ${'cpu x base'.padStart(10)}`);
  const base = rs.find((r) => r.name.startsWith('baseline'))!;
  for (const r of rs) {
    const ratio = r.name.startsWith('prepare') || r.name.startsWith('(floor)') || r.name.startsWith('pre-warmed') ? '' : (r.cpuMs / base.cpuMs).toFixed(2);
    console.log(`${r.name.padEnd(52)} ${fmt(r.medianMs)} ${fmt(r.p90Ms)} ${fmt(r.cpuMs)} ${ratio.padStart(10)}`);
  }
  const full = rs.find((r) => r.name.startsWith('full'))!;
  console.log(`=> ${(1000 / full.cpuMs).toFixed(0)} requests/s per core at 100% CPU (fresh instance each)`);
  const handle = rs.find((r) => r.name.startsWith('(floor)'));
  if (handle) {
    // A fresh-instance server on V8 and jco's glue does at least this per request: instantiate (the
    // cheaper of the bare and the full row) plus handling the request on a warm instance (the
    // guest's work with the request's own glue and host calls); the server's HTTP comes on top.
    const inst = rs.find((r) => r.name.startsWith('instantiate'))!;
    const floorMs = Math.min(base.cpuMs, inst.cpuMs) + handle.cpuMs;
    console.log(`=> floor ${floorMs.toFixed(2)} ms CPU per request (instantiation + handling on a warm instance, no HTTP): at most `
      + `${(availableParallelism() * 1000 / floorMs).toFixed(0)} requests/s on this machine's ${availableParallelism()} cores for a fresh-instance server on V8 and jco's glue`);
  }
  if (fixture.startsWith('http')) for (const line of saturated) console.log(line);
}
