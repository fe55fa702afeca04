import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kebabCase, listTemplates, renderTemplate, renderTemplateText, snakeCase, TEMPLATES_DIR } from './templates.ts';

test('kebab_case and snake_case as Spin names a project', () => {
  assert.equal(kebabCase('MyApp'), 'my-app');
  assert.equal(kebabCase('MyCApp'), 'my-c-app');
  assert.equal(kebabCase('hello_world-2'), 'hello-world-2');
  assert.equal(snakeCase('Hello-World'), 'hello_world');
});

test('placeholders are replaced; unknown ones are left alone', () => {
  const values = { projectName: 'MyApp', projectDescription: 'd' };
  assert.equal(renderTemplateText('{{project-name}} {{ project-name | kebab_case }} {{project-name|snake_case}} {{project-description}}', values),
    'MyApp my-app my_app d');
  assert.equal(renderTemplateText('${{ github.x }} {{project-name | upper}}', values), '${{ github.x }} {{project-name | upper}}');
});

test('the shipped templates: ids, and every include names a shared folder', () => {
  const templates = listTemplates();
  assert.deepEqual(templates.map((t) => t.id), ['http-as', 'http-c', 'http-js', 'kv-js']);
  for (const t of templates) {
    assert.ok(t.description.length > 0);
    const dir = mkdtempSync(join(tmpdir(), 'wasmlet-template-'));
    try {
      const written = renderTemplate(t, join(dir, 'app'), { projectName: 'x', projectDescription: '' });
      assert.ok(written.includes('wasmlet.toml'), `${t.id} writes a manifest`);
      assert.ok(!written.some((f) => f.endsWith('_gitignore')), `${t.id}: _gitignore is renamed`);
      assert.doesNotMatch(readFileSync(join(dir, 'app/wasmlet.toml'), 'utf8'), /\{\{/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('the templates pin the toolchain versions wasmlet itself is tested with', () => {
  const own = JSON.parse(readFileSync(join(TEMPLATES_DIR, '../package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  for (const file of ['_shared/js-component/package.json', 'http-as/content/package.json']) {
    const pinned = (JSON.parse(readFileSync(join(TEMPLATES_DIR, file), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
    for (const [name, version] of Object.entries(pinned)) {
      assert.equal(own.devDependencies[name]?.replace(/^\^/, ''), version, `${file}: ${name}`);
    }
  }
});
