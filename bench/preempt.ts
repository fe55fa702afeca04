// The cost of in-process preemption (src/engine/preempt/): the same guest run original and
// rewritten (a budget check at every function entry and loop header, a host tick every
// `checksPerTick` checks), side by side in one process, in alternating rounds:
//  - a tight loop (WAT: one add, one compare per iteration: the worst case, a check per ~1 ns of
//    work), at several checksPerTick, ns per iteration and the ratio to the original;
//  - count_vowels (Extism's Rust PDK plugin, test/fixtures/extism/code.wasm) through createPlugin:
//    in-process without a timeout (no checks), in-process with timeoutMs (rewritten), and the
//    worker mode (runInWorker), calls/s on a 1 KiB input;
//  - the rewrite itself: ms per MB on count_vowels (1.8 MB) and a StarlingMonkey core module
//    (componentize-js cli command, built and transpiled through the test fixtures' cache).
// Usage: node_modules/.bin/node bench/preempt.ts [--quick] [--rounds N]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCliCommandComponent } from '../test/support/components.ts';
import { watToBytes } from '../test/support/fixtures.ts';
import { prepareComponent } from '../src/engine/component/transpile.ts';
import { DEFAULT_CHECKS_PER_TICK, PreemptionClock } from '../src/engine/preempt/preemption-clock.ts';
import { DEFAULT_ITERATIONS_PER_CHECK, rewriteForPreemption } from '../src/engine/preempt/rewrite-module.ts';
import { createPlugin } from '../src/index.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' } } });
const rounds = Number(values.rounds ?? (values.quick ? 3 : 9));
const iterations = values.quick ? 20_000_000 : 100_000_000;
const calls = values.quick ? 1000 : 3000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// 1. Tight loop.
const loopWat = `(module (func (export "sum") (param $n i32) (result i32) (local $s i32)
  (loop $l
    (local.set $s (i32.add (local.get $s) (local.get $n)))
    (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
  (local.get $s)))`;
const loopBytes = await watToBytes(loopWat);
type Sum = (n: number) => number;
const variants: Record<string, Sum> = {
  original: new WebAssembly.Instance(new WebAssembly.Module(loopBytes as Uint8Array<ArrayBuffer>)).exports['sum'] as Sum,
};
const rewritten = (iterationsPerCheck: number, checksPerTick: number): Sum => {
  const module = new WebAssembly.Module(rewriteForPreemption(loopBytes, { iterationsPerCheck }).bytes);
  const clock = new PreemptionClock({ checksPerTick });
  clock.arm(3_600_000);
  return new WebAssembly.Instance(module, clock.imports).exports['sum'] as Sum;
};
// iterationsPerCheck 1 is a budget check (a global's load and store) on every iteration;
// checksPerTick 1 is a tick (Wasm -> JS call, performance.now()) on every check.
for (const [iterations, checks] of [[1, 1], [1, DEFAULT_CHECKS_PER_TICK], [16, DEFAULT_CHECKS_PER_TICK], [DEFAULT_ITERATIONS_PER_CHECK, 100],
  [DEFAULT_ITERATIONS_PER_CHECK, DEFAULT_CHECKS_PER_TICK], [256, DEFAULT_CHECKS_PER_TICK]] as const) {
  variants[`rewritten, iterationsPerCheck ${iterations}, checksPerTick ${checks}`] = rewritten(iterations, checks);
}
const nsPerIter: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const fn of Object.values(variants)) fn(iterations / 10); // tier up
const want = variants.original!(iterations);
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(variants);
  for (const name of r % 2 === 0 ? names : names.reverse()) {
    const n = name.endsWith('checksPerTick 1') ? iterations / 100 : iterations; // a tick per iteration is slow
    const t0 = process.hrtime.bigint();
    const got = variants[name]!(n);
    nsPerIter[name]!.push(Number(process.hrtime.bigint() - t0) / n);
    if (n === iterations && got !== want) throw new Error(`${name}: ${got} != ${want}`);
  }
}
const base = median(nsPerIter.original!);
console.log(`tight loop (add + compare per iteration), ${iterations / 1e6}M iterations x ${rounds} rounds, median`);
console.log('| guest | ns/iteration | ratio to original |');
console.log('|---|---:|---:|');
for (const [name, xs] of Object.entries(nsPerIter)) console.log(`| ${name} | ${median(xs).toFixed(3)} | ${(median(xs) / base).toFixed(2)}x |`);

// 2. count_vowels through createPlugin.
const wasm = readFileSync(new URL('../test/fixtures/extism/code.wasm', import.meta.url));
const input = 'The quick brown fox jumps over the lazy dog. '.repeat(24).slice(0, 1024);
const modes = {
  'in-process, no timeout (original)': await createPlugin(wasm),
  'in-process, timeoutMs (rewritten)': await createPlugin(wasm, { timeoutMs: 60_000 }),
  'worker (runInWorker, timeoutMs)': await createPlugin(wasm, { timeoutMs: 60_000, runInWorker: true }),
};
const cps: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
for (const p of Object.values(modes)) for (let i = 0; i < (values.quick ? 2000 : 20_000); i++) await p.call('count_vowels', input);
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(modes) as (keyof typeof modes)[];
  for (const name of r % 2 === 0 ? names : names.reverse()) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await modes[name].call('count_vowels', input);
    cps[name]!.push(calls / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
}
for (const p of Object.values(modes)) await p.close();
const cvBase = median(cps['in-process, no timeout (original)']!);
console.log(`\ncount_vowels (code.wasm), 1 KiB input, ${calls} calls x ${rounds} rounds, median`);
console.log('| mode | calls/s | ratio to original |');
console.log('|---|---:|---:|');
for (const [name, xs] of Object.entries(cps)) console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) / cvBase).toFixed(2)}x |`);

// 3. The rewrite itself.
const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-preempt-'));
try {
  const prepared = await prepareComponent(readFileSync(await buildCliCommandComponent()), { cacheDir, recycleMemory: false });
  const cores = [...prepared.coreModules.keys()].map((f) => readFileSync(join(prepared.dir, f)));
  const starling = cores.reduce((a, b) => (b.length > a.length ? b : a));
  console.log(`\nrewrite time (median of ${rounds})`);
  console.log('| module | size, MB | functions | loops | ms | ms per MB |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, bytes] of [['count_vowels (code.wasm)', wasm], ['StarlingMonkey core module', starling]] as const) {
    const ms: number[] = [];
    let last = rewriteForPreemption(bytes);
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      last = rewriteForPreemption(bytes);
      ms.push(performance.now() - t0);
    }
    const mb = bytes.length / 2 ** 20;
    console.log(`| ${name} | ${mb.toFixed(2)} | ${last.functions} | ${last.loops} | ${median(ms).toFixed(1)} | ${(median(ms) / mb).toFixed(1)} |`);
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
