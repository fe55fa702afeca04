// `wasmlet` entry: dispatches to one file per command, loaded on demand so that `wasmlet run`
// never pays for what `serve` (or any other command) imports.
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { printError, printOut } from './output.ts';

// Builtins via process.getBuiltinModule: an ESM `import` of node:fs builds a facade that reads
// every export, loading fs streams and fs/promises (~5 ms of start-up; see sandbox/stdio.ts).
const { readFileSync } = process.getBuiltinModule('node:fs');

/** A command: gets the arguments after its name, returns the exit status (see exit-codes.ts). */
export type Command = (argv: string[]) => Promise<number>;

/** The command table. To add a command: one file in src/cli/, one entry here. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'Run a WASI preview1 module (a command, or one export with --invoke) or a WASI 0.2 command component', load: async () => (await import('./run.ts')).runCommand },
  registry: { summary: 'Push apps to and pull them from OCI registries (Spin\'s layout; login)', load: async () => (await import('./registry.ts')).registryCommand },
  serve: { summary: 'Serve an app\'s HTTP routes (WAGI modules, wasi:http components) from a worker pool', load: async () => (await import('./serve.ts')).serveCommand },
  new: { summary: 'Create an app from a template (http-js, http-c, http-as, kv-js; --list)', load: async () => (await import('./new.ts')).newCommand },
  build: { summary: 'Run the build commands of an app\'s components ([component.<id>.build])', load: async () => (await import('./build.ts')).buildCommand },
  watch: { summary: 'Build and serve an app, rebuilding and reloading it in place when its files change', load: async () => (await import('./watch.ts')).watchCommand },
  // Spin users type `spin up`; the same command under that name.
  up: { summary: 'Alias of serve (Spin\'s `spin up`)', load: async () => (await import('./serve.ts')).serveCommand },
};

function version(): string {
  // Two levels up from both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `wasmlet: a WebAssembly runtime and serverless host for Node.js

Usage: wasmlet <command> [options]

Commands:
${lines.join('\n')}

Options:
  -h, --help     Print this help (or \`wasmlet <command> --help\`)
  -V, --version  Print the version

Exit status: see \`wasmlet run --help\`.
`;
}

/**
 * Runs the `wasmlet` command line. `argv` excludes node and the script (process.argv.slice(2)).
 * Returns the process exit status; prints only one `wasmlet: error: ...` line on failure.
 */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    printOut(usage());
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (first === '-V' || first === '--version') {
    printOut(`wasmlet ${version()}\n`);
    return EXIT.OK;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!command) {
    printError(`unknown command '${first}'; commands: ${Object.keys(COMMANDS).join(', ')} (see wasmlet --help)`);
    return EXIT.USAGE;
  }
  try {
    return await (await command.load())(rest);
  } catch (err) {
    printError(err instanceof Error ? err.message : String(err));
    return exitCodeFor(err);
  }
}
