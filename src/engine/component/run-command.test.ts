import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCComponent, buildCliCommandComponent } from '../../../test/support/components.ts';
import { callbackSink } from '../../host/wasi/p2/cli.ts';
import { runComponentCommand } from './run-command.ts';
import { prepareComponent, type PreparedComponent } from './transpile.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-run-test-'));
let jsCommand: PreparedComponent;
let cCommand: PreparedComponent;

before(async () => {
  jsCommand = await prepareComponent(readFileSync(await buildCliCommandComponent()), { cacheDir });
  cCommand = await prepareComponent(readFileSync(await buildCComponent('test/fixtures/components/c-hello/hello.c')), { cacheDir });
});

after(() => rmSync(cacheDir, { recursive: true, force: true }));

async function run(prepared: PreparedComponent, opts: Parameters<typeof runComponentCommand>[1]) {
  let stdout = '';
  let stderr = '';
  const code = await runComponentCommand(prepared, {
    ...opts,
    stdout: callbackSink((b) => { stdout += Buffer.from(b).toString(); }),
    stderr: callbackSink((b) => { stderr += Buffer.from(b).toString(); }),
  });
  return { code, stdout, stderr };
}

test('componentize-js command sees exactly the args and env it was given', async () => {
  const r = await run(jsCommand, { args: ['cmd', '--flag', 'värde'], env: { GREETING: 'hi', EMPTY: '' } });
  assert.equal(r.code, 0);
  const lines = r.stdout.split('\n');
  assert.deepEqual(JSON.parse(lines[0]!.slice('args='.length)), ['cmd', '--flag', 'värde']);
  assert.deepEqual(JSON.parse(lines[1]!.slice('env='.length)), [['GREETING', 'hi'], ['EMPTY', '']]);
  assert.equal(r.stderr, 'to-stderr\n');
});

test('deny by default: no args, no env, no preopens', async () => {
  const r = await run(jsCommand, {});
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'args=[]\nenv=[]\npreopens=[]\n');
});

test('wasi:cli/exit ends the instance with its code and never the host process', async () => {
  const r = await run(jsCommand, { env: { EXIT_CODE: '7' } });
  assert.equal(r.code, 1); // exit(err) is the only portable non-zero code in wasi:cli 0.2
  // the process is alive and the same prepared component runs again
  const again = await run(jsCommand, { args: ['again'] });
  assert.equal(again.code, 0);
  assert.match(again.stdout, /^args=\["again"\]/);
});

test('C program through the preview1 command adapter: output and exit code', async () => {
  const ok = await run(cCommand, { args: ['hello'] });
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, 'hello from c\nargv[0]=hello\n');
  assert.equal(ok.stderr, 'c-stderr\n');
  const failing = await run(cCommand, { args: ['hello', '3'] });
  assert.equal(failing.code, 1); // the adapter maps proc_exit(n != 0) to wasi:cli/exit.exit(err)
  assert.equal(failing.stdout, 'hello from c\nargv[0]=hello\nargv[1]=3\n');
});

test('instances do not share state: concurrent runs keep their own stdout', async () => {
  const results = await Promise.all(['a', 'b', 'c'].map((arg) => run(cCommand, { args: ['p', arg] })));
  results.forEach((r, i) => assert.equal(r.stdout, `hello from c\nargv[0]=p\nargv[1]=${'abc'[i]}\n`));
});
