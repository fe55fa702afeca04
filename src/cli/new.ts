// `wasmlet new`: create an app from a template shipped in the package (templates.ts), like
// `spin new -t TEMPLATE NAME` (spinframework/spin src/commands/new.rs); `--list` as
// `spin templates list`.
import { resolve } from 'node:path';
import { checkSpinId } from '../app/manifest/parse-manifest.ts';
import { closestMatch } from '../util/edit-distance.ts';
import { EXIT } from './exit-codes.ts';
import { printOut } from './output.ts';
import { kebabCase, listTemplates, renderTemplate } from './templates.ts';
import { parseFlags, usageError } from './usage.ts';

const HELP = `Usage: wasmlet new [options] TEMPLATE NAME
       wasmlet new [options] -t TEMPLATE NAME
       wasmlet new --list

Creates an app from a template into ./NAME (or --output DIR): a wasmlet.toml (Spin's manifest
v2 shape, with a [component.<name>.build] section), the component's source and what its build
needs. Then: cd NAME, the template's setup (npm install for the JavaScript and AssemblyScript
templates), wasmlet build, wasmlet up (or wasmlet watch).

Each '-'/'_'-separated segment of NAME starts with a letter (Spin's rule); the app and
component are named after it in kebab-case (MyApp -> my-app).

Options:
  -l, --list              List the templates.
  -t, --template ID       The template (Spin 2's syntax; then NAME is the only argument).
  -o, --output DIR        Create the app in DIR (default: ./NAME); DIR must be empty or absent.
      --init              Create the app in the current directory (it must be empty).
      --description TEXT  The app's description (default: "").
  -h, --help              Print this help.
`;

/** The `new` command. */
export async function newCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('new', {
    args: argv,
    allowPositionals: true,
    options: {
      list: { type: 'boolean', short: 'l' },
      template: { type: 'string', short: 't' },
      output: { type: 'string', short: 'o' },
      init: { type: 'boolean' },
      description: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { printOut(HELP); return EXIT.OK; }
  const templates = listTemplates();
  if (values.list) {
    const width = Math.max(8, ...templates.map((t) => t.id.length));
    printOut(`${'Template'.padEnd(width)}  Description\n`);
    for (const t of templates) printOut(`${t.id.padEnd(width)}  ${t.description}\n`);
    return EXIT.OK;
  }
  const args = values.template === undefined ? positionals : [values.template, ...positionals];
  if (args.length !== 2) {
    throw usageError('new', `expected TEMPLATE and NAME, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}; templates: ${templates.map((t) => t.id).join(', ')}`);
  }
  const [id, name] = args as [string, string];
  const template = templates.find((t) => t.id === id);
  if (!template) {
    const near = closestMatch(id, templates.map((t) => t.id));
    throw usageError('new', `unknown template '${id}'${near ? ` — did you mean '${near}'?` : ''}; templates: ${templates.map((t) => t.id).join(', ')}`);
  }
  const why = nameProblem(name);
  if (why !== undefined) throw usageError('new', `invalid app name '${name}': ${why}`);
  if (values.output === '') throw usageError('new', '--output: expected a directory path');
  if (values.init && values.output !== undefined) throw usageError('new', '--init and --output both say where the app goes; give one');

  const outDir = resolve(values.init ? '.' : values.output ?? name);
  const written = renderTemplate(template, outDir, { projectName: name, projectDescription: values.description ?? '' });
  const shown = values.init ? '.' : values.output ?? name; // as the user wrote it
  const steps = [...(shown === '.' ? [] : [`cd ${shown}`]), ...template.setup, 'wasmlet build', 'wasmlet up'];
  printOut(`Created ${template.id} app '${kebabCase(name)}' in ${shown} (${written.length} files)\n`
    + `Next:\n${steps.map((s) => `  ${s}\n`).join('')}`);
  return EXIT.OK;
}


/**
 * What is wrong with an app name, or undefined: Spin's rule (spinframework/spin
 * src/commands/new.rs `validate_name`: each segment starts with a letter), limited to ASCII
 * letters, digits, `-` and `_`, so that its kebab-case is a Spin id (the component id).
 */
function nameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return 'use only ASCII letters, digits, \'-\' and \'_\'';
  const bad = name.split(/[-_]/).filter((s) => !/^[A-Za-z]/.test(s));
  if (bad.length > 0) return `each segment of the name must start with a letter: ${bad.map((s) => `'${s}'`).join(', ')} ${bad.length === 1 ? 'does' : 'do'} not`;
  return checkSpinId(kebabCase(name), '-');
}
