// The WASI preview1 benchmark: the same C programs (bench/programs/*.c) run under `wasmlet run` and
// under Node's built-in `node:wasi` (bench/node-wasi-runner.mjs), interleaved, and a table of medians.
// Each program times its own hot loop with clock_gettime(CLOCK_MONOTONIC) ("guest ms"), which
// isolates the cost of the WASI calls from process start-up; "process ms" is spawn-to-exit.
//
// usage: node_modules/.bin/node bench/wasi-p1.ts [--quick] [--rounds N] [--only a,b]
//   --quick     2 rounds and a quarter of the work per row (a smoke run, noisier)
//   --rounds N  rounds per row (default 5); each round runs wasmlet and node:wasi once, order alternating
//   --only a,b  run only these rows (names from the table: fd_write, fd_read, ..., start-up)
import { spawn, execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildC, repoRoot } from '../test/support/fixtures.ts';

interface Run {
  /** Spawn to exit, ms. */
  processMs: number;
  /** The hot loop as the guest timed it, ms (NaN when the program prints none). */
  guestMs: number;
  /** The program's `check` line: both runtimes must agree, so both did the same work. */
  check: string;
}

interface Row {
  name: string;
  /** What one run does, for the table. */
  what: string;
  wasm: string;
  args: string[];
}

const { values: opts } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, only: { type: 'string' } },
});
const quick = opts.quick === true;
const rounds = opts.rounds === undefined ? (quick ? 2 : 5) : Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${opts.rounds}: expected a positive integer`);
const scale = quick ? 4 : 1;
const only = opts.only === undefined ? null : new Set(opts.only.split(','));
const wanted = (name: string): boolean => only === null || only.has(name);

const node = process.execPath;
const wasmletBin = join(repoRoot, 'bin/wasmlet.js');
const runner = join(repoRoot, 'bench/node-wasi-runner.mjs');

function ensureBuilt(): void {
  if (existsSync(join(repoRoot, 'dist/cli/main.js'))) return;
  console.error('dist/ missing: building (tsc -p tsconfig.build.json)');
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
}

function spawnTimed(command: string, args: string[]): Promise<{ ms: number; stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ ms: performance.now() - start, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code });
    });
  });
}

async function runOnce(label: string, command: string, args: string[]): Promise<Run> {
  const r = await spawnTimed(command, args);
  if (r.code !== 0) throw new Error(`${label} exited ${r.code}: ${command} ${args.join(' ')}\n${r.stderr}`);
  const elapsed = /^elapsed_ms ([\d.]+)$/m.exec(r.stdout);
  const check = /^check (\S+)$/m.exec(r.stdout);
  return { processMs: r.ms, guestMs: elapsed ? Number(elapsed[1]) : Number.NaN, check: check?.[1] ?? r.stdout.trim() };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (x: number): string => (Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (a: number, b: number): string => (Number.isNaN(a) || Number.isNaN(b) ? '-' : (a / b).toFixed(2));

async function main(): Promise<void> {
  ensureBuilt();
  const src = (name: string): string => buildC(`bench/programs/${name}.c`);
  const data = mkdtempSync(join(tmpdir(), 'wasmlet-bench-'));
  try {
    // Inputs, made once: a small file to open/stat, and 64 MiB of random bytes to read.
    writeFileSync(join(data, 'small.txt'), 'x'.repeat(1000));
    const big = openSync(join(data, 'big.bin'), 'w');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < 64 / scale; i++) writeSync(big, randomFillSync(chunk));
    closeSync(big);

    const rows: Row[] = [
      { name: 'fd_write', what: `${200_000 / scale} x 16 B write() to a file`, wasm: src('fd-write'), args: ['/data/out.bin', String(200_000 / scale)] },
      { name: 'fd_read', what: `${64 / scale} MiB file in 64 KiB read()s`, wasm: src('read-file'), args: ['/data/big.bin'] },
      { name: 'path_open', what: `${20_000 / scale} x open+close+stat`, wasm: src('path-ops'), args: ['/data/small.txt', String(20_000 / scale)] },
      { name: 'clock_time_get', what: `${1_000_000 / scale} x clock_gettime`, wasm: src('clock'), args: [String(1_000_000 / scale)] },
      { name: 'random_get', what: `${64 / scale} MiB in 64 KiB calls`, wasm: src('random'), args: [String(64 / scale)] },
    ];
    const hello = src('hello');
    const dirFlag = ['--dir', `${data}::/data`];
    const wasmletArgs = (row: { wasm: string; args: string[] }): string[] => [wasmletBin, 'run', ...dirFlag, row.wasm, '--', ...row.args];
    const nodeWasiArgs = (row: { wasm: string; args: string[] }): string[] => ['--no-warnings', runner, ...dirFlag, row.wasm, '--', ...row.args];

    console.log(`wasmlet vs node:wasi, WASI preview1: ${rounds} round(s) per row, medians${quick ? ' (--quick: 1/4 of the work)' : ''}`);
    console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
    const header = ['row', 'work', 'guest ms wasmlet', 'guest ms node:wasi', 'guest ratio', 'process ms wasmlet', 'process ms node:wasi', 'process ratio'];
    const table: string[][] = [];

    for (const row of rows) {
      if (!wanted(row.name)) continue;
      const a: Run[] = [];
      const b: Run[] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternate which goes first, so neither always runs on a warmer page cache or CPU.
        if (r % 2 === 0) {
          a.push(await runOnce('wasmlet', node, wasmletArgs(row)));
          b.push(await runOnce('node:wasi', node, nodeWasiArgs(row)));
        } else {
          b.push(await runOnce('node:wasi', node, nodeWasiArgs(row)));
          a.push(await runOnce('wasmlet', node, wasmletArgs(row)));
        }
      }
      const checks = new Set([...a, ...b].map((x) => x.check));
      if (checks.size !== 1) throw new Error(`${row.name}: the runs disagree on the result (${[...checks].join(' / ')})`);
      const ga = median(a.map((x) => x.guestMs));
      const gb = median(b.map((x) => x.guestMs));
      const pa = median(a.map((x) => x.processMs));
      const pb = median(b.map((x) => x.processMs));
      table.push([row.name, row.what, fmt(ga), fmt(gb), ratio(ga, gb), fmt(pa), fmt(pb), ratio(pa, pb)]);
      process.stderr.write(`  ${row.name} done\n`);
    }

    // Start-up: wasmlet run hello.wasm, node:wasi hello.wasm, and node on an empty script (the floor).
    const startupRounds = wanted('start-up') ? rounds * 2 : 0;
    const empty = join(data, 'empty.mjs');
    writeFileSync(empty, '');
    const sa: number[] = [];
    const sb: number[] = [];
    const floor: number[] = [];
    for (let r = 0; r < startupRounds; r++) {
      const order = r % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      for (const which of order) {
        if (which === 0) sa.push((await runOnce('wasmlet', node, [wasmletBin, 'run', hello])).processMs);
        if (which === 1) sb.push((await runOnce('node:wasi', node, ['--no-warnings', runner, hello])).processMs);
        if (which === 2) floor.push((await runOnce('node', node, [empty])).processMs);
      }
    }
    const [ma, mb, mf] = [median(sa), median(sb), median(floor)];
    if (startupRounds > 0) table.push(['start-up', 'hello.wasm start to exit', '-', '-', '-', fmt(ma), fmt(mb), ratio(ma, mb)]);

    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
    console.log(line(header));
    console.log(`|${widths.map((w, i) => (i < 2 ? ':' : '-') + '-'.repeat(w) + (i < 2 ? '-' : ':')).join('|')}|`);
    for (const r of table) console.log(line(r));
    if (startupRounds > 0) console.log(`\nstart-up: bare node (empty script) ${fmt(mf)} ms; wasmlet run hello.wasm ${fmt(ma)} ms => wasmlet overhead ${fmt(ma - mf)} ms (target < 40); node:wasi overhead ${fmt(mb - mf)} ms`);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
