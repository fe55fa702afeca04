// `wasmlet run`: run a WASI preview1 module or a WASI 0.2 command component, modelled on `wasmtime run`.
import { dirname, resolve } from 'node:path';
import { WasmletError } from '../util/errors.ts';
import { parseDuration, parseSize } from '../util/units.ts';
import type { PreopenSpec } from '../sandbox/preopen.ts';
import { defaultCacheDir } from '../util/cache-dir.ts';
import { EXIT } from './exit-codes.ts';
import { printErr, printOut } from './output.ts';
import { parseFlags, usageError as usageErrorFor } from './usage.ts';

// Not `import`: an ESM import of node:fs / node:util builds a facade that reads every export
// (fs streams, fs/promises, util's TextDecoder...), ~7 ms of start-up; see main.ts.
const { readFileSync, statSync } = process.getBuiltinModule('node:fs');

const HELP = `Usage: wasmlet run [options] <module.wasm> [--] [guest args...]

Runs a WASI preview1 command module (calls _start) or a WASI 0.2 command component (calls
wasi:cli/run; told apart by the file's header). Everything after the module goes to the guest;
the guest's argv[0] is the module path as given. The guest sees nothing of the host unless granted.
A component is transpiled once (jco) into $WASMLET_CACHE_DIR, else .wasmlet/cache/ next to it
(<os tmpdir>/wasmlet-cache when that cannot be written).

Options:
  --dir HOST[::GUEST]     Preopen directory HOST read-write, visible to the guest as GUEST
                          (default: HOST as written). Repeatable.
  --dir-ro HOST[::GUEST]  Same, read-only. Repeatable.
  --env NAME=VALUE        Set an environment variable for the guest. Repeatable.
  --env NAME              Pass the host's value of NAME through (skipped when unset).
  --max-memory SIZE       Cap each linear memory (e.g. 64MiB, 512KiB, 1GB, bytes); memory.grow
                          past it fails in the guest. A module needing more initially is refused.
                          For a component: each core module's memory.
  --timeout DURATION      Stop the guest after DURATION (e.g. 500ms, 2s, 1m); exit status 124.
  --invoke NAME           Call export NAME instead of _start (after _initialize); guest args are
                          its arguments; prints each result on its own line. Modules only.
  --trace                 Print every WASI call to stderr. Modules only.
  -h, --help              Print this help.

Exit status:
  n    the guest's proc_exit(n) (0 when _start returns); for a component: 0 when run returns ok,
       1 for err or exit(err), n for exit-with-code(n)
  1    the guest trapped
  2    usage error (bad flag or flag value)
  124  the guest was stopped at --timeout
  125  wasmlet could not run the module (missing, not Wasm, truncated, invalid, unknown import,
       initial memory over --max-memory, no such export, a component without wasi:cli/run)
`;

const VALUE_OPTIONS = new Set(['--dir', '--dir-ro', '--env', '--max-memory', '--timeout', '--invoke']);

const usageError = (message: string): WasmletError => usageErrorFor('run', message);

/**
 * Splits `argv` at the module path: options before it are wasmlet's, everything after it the
 * guest's (an optional `--` right after the module, or before it, is dropped).
 */
function splitArgv(argv: string[]): { own: string[]; module?: string; guest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      return { own: argv.slice(0, i), ...(argv[i + 1] === undefined ? {} : { module: argv[i + 1]! }), guest: argv.slice(i + 2) };
    }
    if (a.startsWith('-') && a !== '-') {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    const guest = argv.slice(i + 1);
    if (guest[0] === '--') guest.shift();
    return { own: argv.slice(0, i), module: a, guest };
  }
  return { own: argv, guest: [] };
}

function parseDir(spec: string, readOnly: boolean): PreopenSpec {
  const sep = spec.indexOf('::');
  const hostPath = sep < 0 ? spec : spec.slice(0, sep);
  const guestPath = sep < 0 ? spec : spec.slice(sep + 2);
  const flag = readOnly ? '--dir-ro' : '--dir';
  if (!hostPath || !guestPath) throw usageError(`${flag} ${spec}: expected HOST or HOST::GUEST`);
  let isDir = false;
  try { isDir = statSync(hostPath).isDirectory(); } catch { /* reported below */ }
  if (!isDir) {
    throw new WasmletError('WASMLET_ERR_PREOPEN', `${flag} ${spec}: '${hostPath}' is not an existing directory — create it or fix the path`, { blame: 'user' });
  }
  return { hostPath, guestPath, readOnly };
}

function parseEnv(specs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    if (!name) throw usageError(`--env ${spec}: expected NAME=VALUE or NAME`);
    if (eq >= 0) env[name] = spec.slice(eq + 1);
    else if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

function readModule(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
    throw new WasmletError('WASMLET_ERR_READ_SOURCE', `cannot read module '${path}': ${why}`, { blame: 'user', cause: err });
  }
}

/** `wasmlet run [options] <module.wasm> [--] [guest args...]`; returns the exit status. */
export async function runCommand(argv: string[]): Promise<number> {
  const split = splitArgv(argv);
  const { values } = parseFlags('run', {
    args: split.own,
    strict: true,
    allowPositionals: false,
    options: {
      dir: { type: 'string', multiple: true },
      'dir-ro': { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      'max-memory': { type: 'string' },
      timeout: { type: 'string' },
      invoke: { type: 'string' },
      trace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    printOut(HELP);
    return EXIT.OK;
  }
  if (split.module === undefined) throw usageError('missing the module to run');

  const preopens = [
    ...(values.dir ?? []).map((d) => parseDir(d, false)),
    ...(values['dir-ro'] ?? []).map((d) => parseDir(d, true)),
  ];
  const env = parseEnv(values.env ?? []);
  const maxMemoryBytes = values['max-memory'] === undefined ? undefined : parseSize(values['max-memory']);
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  if (timeoutMs === 0) throw usageError('--timeout must be more than 0');
  const bytes = readModule(split.module);

  const { runWasi } = await import('../engine/run-module.ts');
  const result = await runWasi(bytes, {
    args: values.invoke === undefined ? [split.module, ...split.guest] : [split.module],
    env,
    preopens,
    stdin: 'inherit',
    stdout: 'inherit',
    stderr: 'inherit',
    ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(values.invoke === undefined ? {} : { invoke: values.invoke, invokeArgs: split.guest }),
    ...(values.trace ? { trace: (line: string) => printErr(`${line}\n`) } : {}),
    cacheDir: defaultCacheDir(dirname(resolve(split.module))),
  });
  for (const r of result.results ?? []) printOut(`${r}\n`);
  return result.exitCode;
}
