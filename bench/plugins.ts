// createPlugin (wasmlet's Extism kernel) vs @extism/extism 2.0.0-rc13 in the same process, on
// Extism's own count_vowels plugin (Rust PDK, test/fixtures/extism/code.wasm):
//  - calls/s of count_vowels on a 1 KiB input, in-process (both libraries' main-thread mode),
//    in short alternating rounds so drift hits both alike;
//  - the first call of a never-seen plugin: create (compile + instantiate) + one call, each
//    sample on bytes never compiled before in this process (a custom section makes them unique,
//    so V8 cannot reuse a compiled module).
// Usage: node_modules/.bin/node bench/plugins.ts [--quick] [--rounds N] [--calls N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as extism from '@extism/extism';
import { createPlugin } from '../src/index.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' }, calls: { type: 'string' } } });
const rounds = Number(values.rounds ?? (values.quick ? 3 : 15));
const calls = Number(values.calls ?? (values.quick ? 1000 : 3000));
const firstSamples = values.quick ? 3 : 10;
const warmup = values.quick ? 2000 : 20000;

const wasm = readFileSync(new URL('../test/fixtures/extism/code.wasm', import.meta.url));
const input = 'The quick brown fox jumps over the lazy dog. '.repeat(24).slice(0, 1024);
const expected = (input.match(/[aeiouAEIOU]/g) ?? []).length;

type Create = (source: Uint8Array) => Promise<{ call(n: string, i: string): Promise<{ text(): string } | null>; close(): Promise<void> }>;
const libs: Record<string, Create> = {
  wasmlet: (bytes) => createPlugin(bytes),
  '@extism/extism': (bytes) => extism.createPlugin({ wasm: [{ data: bytes }] }) as never,
};

type Loaded = Awaited<ReturnType<Create>>;

async function load(create: Create): Promise<Loaded> {
  const plugin = await create(wasm);
  const first = JSON.parse((await plugin.call('count_vowels', input))!.text());
  if (first.count !== expected) throw new Error(`wrong count ${first.count}, expected ${expected}`);
  // Warm up to steady state: V8 tiers the Rust guest up from Liftoff to TurboFan over the first
  // ~10k calls (both hosts run the same guest code, so both get the same warm-up).
  for (let i = 0; i < warmup; i++) await plugin.call('count_vowels', input);
  return plugin;
}

async function callsPerSecond(plugin: Loaded): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await plugin.call('count_vowels', input);
  return calls / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** The module with a unique custom section appended: same code, bytes V8 has not seen. */
function uniqueBytes(tag: string): Uint8Array {
  const name = new TextEncoder().encode(`bench-${tag}-${process.hrtime.bigint()}`);
  const payload = [name.length, ...name];
  return new Uint8Array([...wasm, 0, payload.length, ...payload]);
}

async function firstCallMs(create: Create, tag: string): Promise<number> {
  const bytes = uniqueBytes(tag);
  const t0 = process.hrtime.bigint();
  const plugin = await create(bytes);
  await plugin.call('count_vowels', input);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await plugin.close();
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// Short interleaved rounds, both plugins loaded once: on a busy machine the per-round ratio
// (adjacent measurements) is steadier than either absolute figure.
const loaded: Record<string, Loaded> = {};
for (const [name, create] of Object.entries(libs)) loaded[name] = await load(create);
const cps: Record<string, number[]> = { wasmlet: [], '@extism/extism': [] };
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? Object.keys(libs) : Object.keys(libs).reverse();
  for (const name of order) cps[name]!.push(await callsPerSecond(loaded[name]!));
  ratios.push(cps.wasmlet![r]! / cps['@extism/extism']![r]!);
}
for (const p of Object.values(loaded)) await p.close();
const first: Record<string, number[]> = { wasmlet: [], '@extism/extism': [] };
for (let s = 0; s < firstSamples; s++) {
  for (const [name, create] of s % 2 === 0 ? Object.entries(libs) : Object.entries(libs).reverse()) first[name]!.push(await firstCallMs(create, `${name}-${s}`));
}

const w = median(cps.wasmlet!);
const e = median(cps['@extism/extism']!);
const fw = median(first.wasmlet!);
const fe = median(first['@extism/extism']!);
console.log(`count_vowels, 1 KiB input, ${calls} calls x ${rounds} rounds (median); first call: ${firstSamples} samples (median)`);
console.log('| host | calls/s | first call (create + call), ms |');
console.log('|---|---:|---:|');
console.log(`| wasmlet createPlugin | ${w.toFixed(0)} | ${fw.toFixed(1)} |`);
console.log(`| @extism/extism 2.0.0-rc13 | ${e.toFixed(0)} | ${fe.toFixed(1)} |`);
console.log(`| ratio | ${median(ratios).toFixed(2)}x (median of per-round ratios) | ${(fe / fw).toFixed(2)}x faster |`);
