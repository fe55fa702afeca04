import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODES, WasmletError, errorCodeInfo, isWasmletError } from './errors.ts';

const repoRoot = join(import.meta.dirname, '../..');
const registryFile = join(import.meta.dirname, 'errors.ts');
const thisFile = join(import.meta.dirname, 'errors.test.ts');

/** The TypeScript files under `dir` (fixture build output and dependencies left out). */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !/[/\\](\.build|node_modules)[/\\]/.test(f));
}

test('every WASMLET_ERR_ name in the sources, tests and README is a registered code', () => {
  // Also catches a code built from a prefix (`WASMLET_ERR_${x}`) or a wildcard in docs (`WASMLET_ERR_X_*`).
  const files = [...tsFiles(join(repoRoot, 'src')), ...tsFiles(join(repoRoot, 'test')), join(repoRoot, 'README.md')]
    .filter((f) => f !== registryFile && f !== thisFile);
  assert.ok(files.length > 50, 'found the sources');
  const unknown: string[] = [];
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/WASMLET_ERR_[A-Z0-9_]*/g)) {
      if (!errorCodeInfo(m[0])) unknown.push(`${relative(repoRoot, file)}: ${m[0]}`);
    }
  }
  assert.deepEqual(unknown, []);
});

test('every registered code is used (as a literal) by the non-test sources', () => {
  const used = new Set<string>();
  for (const file of tsFiles(join(repoRoot, 'src'))) {
    if (file === registryFile || file.endsWith('.test.ts')) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/'(WASMLET_ERR_[A-Z0-9_]+)'/g)) used.add(m[1]!);
  }
  assert.deepEqual(Object.keys(ERROR_CODES).filter((code) => !used.has(code)), []);
});

test('every entry has a one-line meaning', () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.ok(info.meaning.length > 10 && !info.meaning.includes('\n'), code);
  }
});

test('errorCodeInfo: registered codes only (not inherited keys, not foreign strings)', () => {
  assert.equal(errorCodeInfo('WASMLET_ERR_TIMEOUT')?.httpStatus, 504);
  assert.equal(errorCodeInfo('WASMLET_ERR_NOPE'), undefined);
  assert.equal(errorCodeInfo('toString'), undefined);
});

test('WasmletError keeps code and blame; isWasmletError also accepts the shape from another realm', () => {
  const err = new WasmletError('WASMLET_ERR_TRAP', 'boom', { blame: 'guest' });
  assert.equal(err.code, 'WASMLET_ERR_TRAP');
  assert.equal(err.blame, 'guest');
  assert.equal(new WasmletError('WASMLET_ERR_INTERNAL', 'x').blame, 'host');
  assert.ok(isWasmletError(err));
  assert.ok(isWasmletError({ name: 'WasmletError', code: 'WASMLET_ERR_TRAP', message: 'cloned' }));
  assert.ok(!isWasmletError(new Error('plain')));
});

test('the README\'s status and exit tables list every status and exit status the registry uses', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const rows = (heading: string) => {
    const section = readme.slice(readme.indexOf(heading));
    return new Set([...section.slice(0, section.indexOf('\n\n', section.indexOf('|---:|'))).matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])));
  };
  const statuses = rows('Statuses the host itself answers');
  const exits = rows('Exit status:');
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.ok(statuses.has(info.httpStatus), `${code}: ${info.httpStatus} is not in the README's status table`);
    assert.ok(exits.has(info.exitStatus), `${code}: ${info.exitStatus} is not in the README's exit table`);
  }
});
