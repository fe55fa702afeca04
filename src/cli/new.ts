// `wasmlet new`: create an app from a template shipped in the package (templates.ts), like
// `spin new -t TEMPLATE NAME` (spinframework/spin src/commands/new.rs); `--list` as
// `spin templates list`.
import { relative, resolve } from 'node:path';
import { checkSpinId } from '../app/manifest/parse-manifest.ts';
import { closestMatch } from '../util/edit-distance.ts';
import { EXIT } from './exit-codes.ts';
import { printOut } from './output.ts';
import { kebabCase, listTemplates, renderTemplate } from './templates.ts';
import { parseFlags, usageError } from './usage.ts';

const HELP = `Usage: wasmlet new [options] TEMPLATE NAME
       wasmlet new --list

Creates an app from a template into ./NAME (or --output DIR): a wasmlet.toml (Spin's manifest
v2 shape, with a [component.<name>.build] section), the component's source and what its build
needs. Then: cd NAME, the template's setup (npm install for the JavaScript and AssemblyScript
templates), wasmlet build, wasmlet up (or wasmlet watch).

NAME starts with a letter and holds letters, digits, '-' and '_'; the app and component are
named after it in kebab-case (MyApp -> my-app).

Options:
  -l, --list              List the templates.
  -o, --output DIR        Create the app in DIR (default: ./NAME); DIR must be empty or absent.
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
      output: { type: 'string', short: 'o' },
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
  if (positionals.length !== 2) {
    throw usageError('new', `expected TEMPLATE and NAME, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}; templates: ${templates.map((t) => t.id).join(', ')}`);
  }
  const [id, name] = positionals as [string, string];
  const template = templates.find((t) => t.id === id);
  if (!template) {
    const near = closestMatch(id, templates.map((t) => t.id));
    throw usageError('new', `unknown template '${id}'${near ? ` — did you mean '${near}'?` : ''}; templates: ${templates.map((t) => t.id).join(', ')}`);
  }
  const why = /^[A-Za-z][A-Za-z0-9_-]*$/.test(name) ? checkSpinId(kebabCase(name), '-') : 'it must start with a letter and hold only letters, digits, \'-\' and \'_\'';
  if (why !== undefined) throw usageError('new', `invalid app name '${name}': ${why}`);
  if (values.output === '') throw usageError('new', '--output: expected a directory path');

  const outDir = resolve(values.output ?? name);
  const written = renderTemplate(template, outDir, { projectName: name, projectDescription: values.description ?? '' });
  const shown = relative(process.cwd(), outDir) || '.';
  const steps = [...(shown === '.' ? [] : [`cd ${shown}`]), ...template.setup, 'wasmlet build', 'wasmlet up'];
  printOut(`Created ${template.id} app '${kebabCase(name)}' in ${shown} (${written.length} files)\n`
    + `Next:\n${steps.map((s) => `  ${s}\n`).join('')}`);
  return EXIT.OK;
}

