// The baseline for bench/wasi-p1.ts: runs a WASI preview1 command under Node's built-in `node:wasi`,
// with wasmlet-like flags. Benchmark use only: node:wasi is not a sandbox, wasmlet never uses it.
// usage: node --no-warnings bench/node-wasi-runner.mjs [--dir HOST::GUEST]... [--env K=V]... module.wasm [-- args...]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let i = 0;
for (; i < argv.length && argv[i].startsWith('--'); i += 2) {
  const [flag, value] = [argv[i], argv[i + 1] ?? ''];
  if (flag === '--dir') {
    const sep = value.indexOf('::');
    preopens[sep < 0 ? value : value.slice(sep + 2)] = sep < 0 ? value : value.slice(0, sep);
  } else if (flag === '--env') {
    const eq = value.indexOf('=');
    env[value.slice(0, eq)] = value.slice(eq + 1);
  } else {
    console.error(`node-wasi-runner: unknown flag ${flag}`);
    process.exit(2);
  }
}
const file = argv[i];
if (!file) {
  console.error('usage: node-wasi-runner.mjs [--dir HOST::GUEST]... [--env K=V]... module.wasm [-- args...]');
  process.exit(2);
}
const args = argv.slice(argv[i + 1] === '--' ? i + 2 : i + 1);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
