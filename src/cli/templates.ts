// The app templates shipped in the package (templates/<id>/), in the layout of Spin's templates
// (spinframework/spin crates/templates: metadata/spin-template.toml + content/): each has
// `metadata/wasmlet-template.toml` (id, description, tags, `include` of folders under
// templates/_shared/, `setup` commands shown to the user) and a `content/` tree copied into the new
// app with `{{project-name}}`, `{{project-name | kebab_case}}`, `{{project-name | snake_case}}`
// and `{{project-description}}` replaced (Spin's placeholder and filter names). A file named
// `_gitignore` is written as `.gitignore` (npm leaves `.gitignore` files out of packages).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { WasmletError } from '../util/errors.ts';

/** The package's templates folder: two levels up from both src/cli/ and dist/cli/. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** A template's metadata (`metadata/wasmlet-template.toml`). */
export interface TemplateInfo {
  id: string;
  description: string;
  tags: string[];
  /** Folders of templates/_shared/ copied into the app with the template's content. */
  include: string[];
  /** Commands the user runs once in the new app before `wasmlet build` (e.g. `npm install`). */
  setup: string[];
  /** Absolute path of the template folder. */
  dir: string;
}

/** The values a template's placeholders take. */
export interface TemplateValues {
  /** The name as the user typed it (`{{project-name}}`). */
  projectName: string;
  /** `{{project-description}}`. */
  projectDescription: string;
}

/**
 * Every template under `root`, sorted by id (folders starting with `_` hold shared content).
 * @throws WasmletError `WASMLET_ERR_TEMPLATE` when a template's metadata is unreadable (a broken install).
 */
export function listTemplates(root: string = TEMPLATES_DIR): TemplateInfo[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('_'))
    .map((e) => readTemplate(join(root, e.name)))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function readTemplate(dir: string): TemplateInfo {
  const file = join(dir, 'metadata/wasmlet-template.toml');
  try {
    const m = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    return {
      id: String(m.id), description: String(m.description ?? ''), tags: strings(m.tags),
      include: strings(m.include), setup: strings(m.setup), dir,
    };
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_TEMPLATE', `cannot read template ${file}: ${(err as Error).message} — reinstall wasmlet`, { cause: err });
  }
}

/** `MyApp_2` -> `my-app-2`: words split at `_`, `-`, spaces and lower-to-upper changes. */
export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').split(/[-_\s]+/).filter(Boolean).join('-').toLowerCase();
}

/** `MyApp-2` -> `my_app_2`. */
export function snakeCase(name: string): string {
  return kebabCase(name).replaceAll('-', '_');
}

/** Replaces the placeholders in `text`; an unknown placeholder is left as it is. */
export function renderTemplateText(text: string, values: TemplateValues): string {
  return text.replace(/\{\{\s*([a-z-]+)\s*(?:\|\s*([a-z_]+)\s*)?\}\}/g, (whole, name: string, filter: string | undefined) => {
    const value = name === 'project-name' ? values.projectName : name === 'project-description' ? values.projectDescription : undefined;
    if (value === undefined) return whole;
    if (filter === undefined) return value;
    if (filter === 'kebab_case') return kebabCase(value);
    if (filter === 'snake_case') return snakeCase(value);
    return whole;
  });
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * Writes the app `template` describes into `outDir` (created; it must not hold files yet): its
 * shared folders first, then its content, placeholders replaced. Returns the paths written,
 * relative to `outDir`.
 * @throws WasmletError `WASMLET_ERR_TEMPLATE` (blame user) when `outDir` already holds files.
 */
export function renderTemplate(template: TemplateInfo, outDir: string, values: TemplateValues): string[] {
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new WasmletError('WASMLET_ERR_TEMPLATE', `${outDir} already exists and is not empty — pick another name or --output directory`,
      { blame: 'user' });
  }
  const sources = [
    ...template.include.map((name) => join(template.dir, '..', '_shared', name)),
    join(template.dir, 'content'),
  ];
  const written: string[] = [];
  for (const source of sources) {
    for (const rel of filesUnder(source)) {
      const target = rel.replace(/(^|[\\/])_gitignore$/, '$1.gitignore');
      mkdirSync(dirname(join(outDir, target)), { recursive: true });
      writeFileSync(join(outDir, target), renderTemplateText(readFileSync(join(source, rel), 'utf8'), values));
      written.push(target);
    }
  }
  return written.sort();
}
