// Every fixture source is used by some test (STYLE.md): a fixture no test names is dead weight
// that still costs a build, or a test that was lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';

function files(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name) && !join(e.parentPath, e.name).includes('/.build'))
    .map((e) => join(e.parentPath, e.name));
}

test('every fixture under test/fixtures is named by a test or a test helper', () => {
  const fixtureRoot = join(repoRoot, 'test/fixtures');
  const fixtures = files(fixtureRoot, () => true);
  assert.ok(fixtures.length > 10, 'found the fixtures');
  const users = [
    ...files(join(repoRoot, 'test'), (n) => n.endsWith('.ts') && !n.endsWith('fixtures-used.test.ts')),
    ...files(join(repoRoot, 'src'), (n) => n.endsWith('.test.ts') || n.endsWith('.case.ts')),
    ...files(join(repoRoot, 'scripts'), () => true),
  ].filter((f) => !f.startsWith(fixtureRoot) || f.endsWith('.ts'));
  const text = users.map((f) => readFileSync(f, 'utf8')).join('\n');
  const unused = fixtures.filter((f) => {
    // Used when a test names the file, or names a directory it sits in as `fixtures/<dir>`
    // (fixture dirs copied or mounted whole: an app, a Lua script dir, a WIT world).
    const dirs = relative(fixtureRoot, f).split('/').slice(0, -1);
    const dirNamed = dirs.some((_, i) => text.includes(`fixtures/${dirs.slice(0, i + 1).join('/')}'`)
      || text.includes(`fixtures/${dirs.slice(0, i + 1).join('/')}/'`)
      || text.includes(`'${dirs.slice(0, i + 1).join('/')}'`) && i > 0);
    return !dirNamed && !text.includes(basename(f));
  });
  assert.deepEqual(unused.map((f) => relative(repoRoot, f)), []);
});
