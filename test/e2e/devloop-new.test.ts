// `wasmlet new` (every template is listed; the WAGI templates are generated, built with
// `wasmlet build`, served and answer; bad input) and `wasmlet build` (prefixed output, first
// failure stops the build with its status). The JavaScript templates: devloop-new-js.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, startCliServer } from '../support/cli.ts';
import { newApp } from '../support/templates.ts';

test('new --list names the four templates', async () => {
  const { status, stdout } = await runCli(['new', '--list']);
  assert.equal(status, 0);
  for (const id of ['http-js', 'http-c', 'http-as', 'kv-js']) assert.match(stdout, new RegExp(`^${id} +\\S`, 'm'));
});

for (const [template, name] of [['http-c', 'HelloC'], ['http-as', 'hello_as']] as const) {
  test(`new ${template}: the app builds with wasmlet build, serves, and answers`, async () => {
    const dir = await newApp(template, name);
    try {
      const manifest = readFileSync(join(dir, 'wasmlet.toml'), 'utf8');
      const id = template === 'http-c' ? 'hello-c' : 'hello-as';
      assert.match(manifest, new RegExp(`^\\[component\\.${id}\\.build\\]\\n(#.*\\n)*command = ".+"\\nwatch = \\[`, 'm'));
      const build = await runCli(['build'], dir);
      assert.equal(build.status, 0, build.stderr);
      assert.match(build.stderr, new RegExp(`Building component ${id} with`));
      const server = await startCliServer(['up', dir, '--listen', '127.0.0.1:0', '--workers', '1']);
      try {
        const res = await fetch(`${server.url}/some/path`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), `Hello from ${name}! GET /some/path\n`);
      } finally {
        server.proc.kill('SIGTERM');
      }
      assert.equal(await server.exit, 0);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
}

test('new refuses an unknown template (with a did-you-mean), a bad name, and a non-empty directory', async () => {
  const unknown = await runCli(['new', 'http-cc', 'x']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown template 'http-cc' — did you mean 'http-c'\?; templates: http-as, http-c, http-js, kv-js/);
  const spin2 = await runCli(['new', '-t', 'http-cc', 'x']);
  assert.equal(spin2.status, 2, 'Spin 2 syntax: -t TEMPLATE NAME');
  assert.match(spin2.stderr, /unknown template 'http-cc'/);
  const badName = await runCli(['new', 'http-c', '9lives']);
  assert.equal(badName.status, 2);
  assert.match(badName.stderr, /invalid app name '9lives': each segment of the name must start with a letter: '9lives' does not/);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-new-'));
  writeFileSync(join(dir, 'keep.txt'), 'mine');
  try {
    const taken = await runCli(['new', 'http-c', 'x', '-o', dir]);
    assert.equal(taken.status, 125);
    assert.match(taken.stderr, /already exists and is not empty/);
    assert.equal(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'mine');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('build: output prefixed by component id, in workdir; the first failure stops it with its status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-build-'));
  try {
    writeFileSync(join(dir, 'wasmlet.toml'), [
      'spin_manifest_version = 2',
      '[application]', 'name = "b"',
      '[[trigger.http]]', 'route = "/..."', 'component = "first"',
      '[component.first]', 'source = "missing.wasm"',            // not built yet: build does not care
      '[component.first.build]', 'command = ["pwd", "echo to-stderr >&2", "printf no-newline", "exit 3"]', 'workdir = "."',
      '[component.second]', 'source = "second.wasm"',
      '[component.second.build]', 'command = "touch second-ran"',
    ].join('\n'));
    const failed = await runCli(['build', dir]);
    assert.equal(failed.status, 3);
    assert.match(failed.stdout, new RegExp(`^\\[first\\] ${dir}$`, 'm'));
    assert.match(failed.stdout, /^\[first\] no-newline$/m);
    assert.match(failed.stderr, /^\[first\] to-stderr$/m);
    assert.match(failed.stderr, /Running build step 4\/4 for component first with `exit 3`/);
    assert.match(failed.stderr, /wasmlet: error: build command `exit 3` for component 'first' failed with exit status 3/);
    assert.equal(existsSync(join(dir, 'second-ran')), false, 'the second component was not built');

    const one = await runCli(['build', dir, '-c', 'second']);
    assert.equal(one.status, 0, one.stderr);
    assert.equal(existsSync(join(dir, 'second-ran')), true);
    const unknown = await runCli(['build', dir, '-c', 'third']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown component 'third'; the app has first, second/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
