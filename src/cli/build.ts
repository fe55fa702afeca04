// `wasmlet build`: runs each component's Spin build commands (spinframework/spin
// crates/build/src/lib.rs `build_component`: `sh -c COMMAND` in the workdir, in manifest order,
// stopping at the first failure), with each output line prefixed by the component id.
import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { readBuildPlan } from '../app/build-plan.ts';
import type { ComponentBuild } from '../app/build-plan.ts';
import { EXIT } from './exit-codes.ts';
import { printErr, printError, printOut } from './output.ts';
import { parseFlags, usageError } from './usage.ts';

const HELP = `Usage: wasmlet build [options] [DIR | MANIFEST]

Runs the build commands of the app's components ([component.<id>.build] command, in workdir:
Spin's keys), in manifest order, each through \`sh -c\`. Every line a command prints is shown
prefixed with its component id ("[hello] ..."; stdout to stdout, stderr to stderr). The first
command that fails stops the build, and wasmlet exits with its status. DIR holds a wasmlet.toml
(or spin.toml); default: the current directory.

Options:
  -c, --component-id ID  Build only this component (repeatable; default: all).
  -h, --help             Print this help.

Exit status: 0 when every command succeeded; a failed command's status (128+N when it was
killed by signal N); 2 usage error (an unknown component id); 125 an invalid manifest.
`;

/** The outcome of {@link runBuilds}: success, or the first command that failed and its status. */
export type BuildOutcome = { ok: true } | { ok: false; component: string; command: string; status: number };

/** Where {@link runBuilds} writes: its own step lines, and the commands' prefixed lines. */
export interface BuildOutput {
  /** wasmlet's own lines ("Building component ..."), each ending in a newline. */
  step(line: string): void;
  /** One line (with its newline) of a command's stdout or stderr. */
  line(stream: 'stdout' | 'stderr', text: string): void;
}

/** The terminal: steps and command stderr to stderr, command stdout to stdout. */
export const TERMINAL_BUILD_OUTPUT: BuildOutput = {
  step: printErr,
  line: (stream, text) => (stream === 'stdout' ? printOut : printErr)(text),
};

/**
 * Runs `sh -c command` in `cwd`, passing each line of its output to `onLine` prefixed with
 * `prefix` (a last line without a newline gets one). Resolves with its exit status (128 + the
 * signal number when a signal ended it; 127 when it could not be started).
 */
function runPrefixed(command: string, cwd: string, prefix: string, onLine: BuildOutput['line']): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const pending = { stdout: '', stderr: '' };
    const forward = (stream: 'stdout' | 'stderr', chunk: string) => {
      const lines = (pending[stream] + chunk).split('\n');
      pending[stream] = lines.pop()!;
      for (const l of lines) onLine(stream, `${prefix}${l}\n`);
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => forward('stdout', c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => forward('stderr', c));
    child.once('error', (err) => {
      onLine('stderr', `${prefix}cannot start sh: ${err.message}\n`);
      resolve(127);
    });
    child.once('close', (code, signal) => {
      for (const stream of ['stdout', 'stderr'] as const) if (pending[stream] !== '') onLine(stream, `${prefix}${pending[stream]}\n`);
      const signals = process.getBuiltinModule('node:os').constants.signals as Record<string, number>;
      resolve(code ?? 128 + (signal ? signals[signal] ?? 0 : 0));
    });
  });
}

/**
 * Runs the build commands of `components` in order, each in its workdir, stopping at the first
 * that fails.
 */
export async function runBuilds(components: readonly ComponentBuild[], out: BuildOutput): Promise<BuildOutcome> {
  for (const c of components) {
    const commands = c.build.command;
    if (c.build.workdir !== undefined) out.step(`Working directory: ${relative(process.cwd(), c.workdir) || '.'}\n`);
    for (const [i, command] of commands.entries()) {
      out.step(commands.length > 1
        ? `Running build step ${i + 1}/${commands.length} for component ${c.id} with \`${command}\`\n`
        : `Building component ${c.id} with \`${command}\`\n`);
      const status = await runPrefixed(command, c.workdir, `[${c.id}] `, out.line);
      if (status !== 0) return { ok: false, component: c.id, command, status };
    }
  }
  return { ok: true };
}

/** The `build` command: resolves with 0, or with the failed command's exit status. */
export async function buildCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('build', {
    args: argv,
    allowPositionals: true,
    options: {
      'component-id': { type: 'string', short: 'c', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { printOut(HELP); return EXIT.OK; }
  if (positionals.length > 1) throw usageError('build', `expected one app (DIR or MANIFEST), got ${positionals.length}`);
  const plan = await readBuildPlan(positionals[0] ?? '.');
  const only = values['component-id'] ?? [];
  const unknown = only.filter((id) => !plan.componentIds.includes(id));
  if (unknown.length > 0) {
    throw usageError('build', `unknown component ${unknown.map((id) => `'${id}'`).join(', ')}; the app has ${plan.componentIds.join(', ') || 'no components'}`);
  }
  const components = only.length === 0 ? plan.components : plan.components.filter((c) => only.includes(c.id));
  if (components.length === 0) {
    printErr('None of the components have a build command: add [component.<id>.build] with command = "..." to the manifest.\n');
    return EXIT.OK;
  }
  const outcome = await runBuilds(components, TERMINAL_BUILD_OUTPUT);
  if (!outcome.ok) {
    printError(`build command \`${outcome.command}\` for component '${outcome.component}' failed with exit status ${outcome.status}`);
    return outcome.status;
  }
  printErr(`Finished building ${components.length === 1 ? `component ${components[0]!.id}` : `all ${components.length} components`}\n`);
  return EXIT.OK;
}
