// An AssemblyScript program (test/fixtures/as/wasi-program.ts, compiled with asc and
// @assemblyscript/wasi-shim) run through `wasmlet run`: args, env, a file read from a preopen, exit code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAssemblyScript, repoRoot } from '../support/fixtures.ts';

const cli = join(repoRoot, 'bin/wasmlet.js');

function wasmlet(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'run', ...args], {
    input: '', encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'from-host' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let wasm: string;
let dir: string;
const content = 'first line\nzweite Zeile: äöü €\nthird, without newline';

before(() => {
  assert.ok(existsSync(join(repoRoot, 'dist/cli/main.js')), 'dist/ is not built: run `npm run build` (npm test does)');
  wasm = buildAssemblyScript('test/fixtures/as/wasi-program.ts');
  dir = mkdtempSync(join(tmpdir(), 'wasmlet-as-'));
  writeFileSync(join(dir, 'data.txt'), content);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('prints, sees its args and only the granted env, reads a preopened file, exits with its code', () => {
  const r = wasmlet(['--dir-ro', `${dir}::/data`, '--env', 'GREETING=hi there', wasm, '--', '/data/data.txt', '42', 'x', 'y z']);
  assert.equal(r.stdout, [
    'hello from AssemblyScript',
    'argc 5',
    'arg 1: /data/data.txt',
    'arg 2: 42',
    'arg 3: x',
    'arg 4: y z',
    'env count 1',
    'GREETING=hi there',
    `read ${Buffer.byteLength(content)} bytes:`,
    content,
  ].join('\n'));
  assert.equal(r.stderr, 'exiting with 42\n');
  assert.equal(r.status, 42);
});

test('sees no host environment unless granted; exit code 0 passes through', () => {
  const r = wasmlet(['--dir-ro', `${dir}::/data`, wasm, '--', '/data/data.txt', '0']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\nenv count 0\nGREETING=\(unset\)\n/);
});

test('cannot read outside its preopen: path_open fails with ERRNO_PERM or ERRNO_NOTCAPABLE', () => {
  const r = wasmlet(['--dir-ro', `${dir}::/data`, wasm, '--', '/data/../../../../etc/hostname', '3']);
  // The AssemblyScript abort handler calls proc_exit(255); like Wasmtime, wasmlet turns an exit
  // status outside [0, 126) into a trap (exit status 1).
  assert.equal(r.status, 1);
  assert.match(r.stderr, /abort: path_open \/data\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname: errno (63|76) /);
  assert.doesNotMatch(r.stdout, /^read /m);
});
