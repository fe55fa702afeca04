import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBuildPlan } from './build-plan.ts';

function withManifest(text: string, use: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-plan-'));
  writeFileSync(join(dir, 'spin.toml'), text);
  return use(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('reads the build sections, resolving workdirs; sources need not exist yet', async () => {
  await withManifest([
    'spin_manifest_version = 2',
    '[application]', 'name = "a"',
    '[component.a]', 'source = "a.wasm"',
    '[component.a.build]', 'command = "make"', 'workdir = "src/a"', 'watch = ["**/*.c"]',
    '[component.b]', 'source = "b.wasm"',
  ].join('\n'), async (dir) => {
    const plan = await readBuildPlan(dir);
    assert.equal(plan.manifestPath, join(dir, 'spin.toml'));
    assert.deepEqual(plan.componentIds, ['a', 'b']);
    assert.deepEqual(plan.components, [{ id: 'a', build: { command: ['make'], workdir: 'src/a', watch: ['**/*.c'] }, workdir: join(dir, 'src/a') }]);
  });
});

test('a bad build table is an error with its line; an absolute workdir is refused', async () => {
  await withManifest([
    'spin_manifest_version = 2',
    '[component.a.build]',
    'comand = "make"',
    'workdir = "/abs"',
  ].join('\n'), async (dir) => {
    await assert.rejects(readBuildPlan(dir), (err: Error) => {
      assert.match(err.message, /:3: unknown key `comand` in table `component\.a\.build` — did you mean `command`\?/);
      assert.match(err.message, /`build\.command` must be a string or an array of strings/);
      assert.match(err.message, /:4: `build\.workdir` must be relative to the manifest directory/);
      return true;
    });
  });
});

test('a directory without a manifest is an error saying so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-plan-'));
  try {
    await assert.rejects(readBuildPlan(dir), /no wasmlet\.toml or spin\.toml in .* — create one \(wasmlet new\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
