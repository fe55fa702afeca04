// `wasmlet serve --log-dir`: guest output per component in Spin's files (<component>_stdout.txt,
// <component>_stderr.txt) as well as on the console, for a WAGI module (stderr; its stdout is the
// response) and a wasi:http component (stdout and stderr), rotated by --log-file-size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, repoRoot } from '../support/fixtures.ts';
import { buildHttpServeComponent } from '../support/components.ts';

const ENTRY = 'test/fixtures/serve/wasmlet-cli.ts';

test('guest output goes to per-component files under --log-dir and to the console', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-guest-logs-'));
  try {
    copyFileSync(buildC('test/fixtures/serve/slow.c'), join(dir, 'slow.wasm'));
    copyFileSync(await buildHttpServeComponent(), join(dir, 'handler.wasm'));
    writeFileSync(join(dir, 'wasmlet.toml'), [
      'spin_manifest_version = 2', '[application]', 'name = "logs"',
      '[[trigger.http]]', 'route = "/slow"', 'component = "slow"',
      '[[trigger.http]]', 'route = "/c/..."', 'component = "api"',
      '[component.slow]', 'source = "slow.wasm"',
      '[component.api]', 'source = "handler.wasm"', '',
    ].join('\n'));
    const logDir = join(dir, 'logs');
    const proc = spawn(process.execPath, [ENTRY, 'serve', dir, '--listen', '127.0.0.1:0', '--workers', '1', '--log-format', 'json',
      '--log-dir', logDir, '--log-file-size', '50'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
    });
    try {
      assert.equal(await (await fetch(`${url}/slow?1`)).text(), 'slept 1 ms\n');
      for (const text of ['first line', 'second line', 'third line']) {
        assert.equal(await (await fetch(`${url}/c/log?text=${encodeURIComponent(text)}`)).text(), 'logged');
      }
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exit, 0, err);
    const read = (name: string) => readFileSync(join(logDir, name), 'utf8');
    assert.equal(read('slow_stderr.txt'), 'slow guest: waiting 1 ms\n');
    assert.equal(existsSync(join(logDir, 'slow_stdout.txt')), false, 'a WAGI guest\'s stdout is its response');
    // 50-byte files: the three stdout lines (34 bytes) fit in one; the third stderr line would
    // take its file to 61 bytes, so it starts a new one.
    assert.equal(read('api_stdout.txt'), 'first line\nsecond line\nthird line\n');
    assert.equal(read('api_stderr.txt.1') + read('api_stderr.txt'), 'first line (stderr)\nsecond line (stderr)\nthird line (stderr)\n');
    assert.equal(read('api_stderr.txt'), 'third line (stderr)\n');
    // And on the console, tagged with the request id.
    const records = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(records.some((r) => r.msg === 'stdout' && r.component === 'api' && r.line === 'second line' && typeof r.requestId === 'string'));
    assert.ok(records.some((r) => r.msg === 'stderr' && r.component === 'slow' && r.line === 'slow guest: waiting 1 ms'));
    assert.ok(records.some((r) => r.msg === `logging component output to ${logDir}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rotation flags without --log-dir, or a bad --admin-listen, are usage errors (exit 2)', async () => {
  for (const [args, message] of [
    [['--log-files', '3'], /--log-file-size and --log-files apply to --log-dir/],
    [['--admin-listen', 'nope'], /--admin-listen 'nope': expected HOST:PORT/],
  ] as const) {
    const proc = spawn(process.execPath, [ENTRY, 'serve', 'examples/hello', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise((resolve) => proc.on('exit', resolve));
    assert.equal(code, 2, err);
    assert.match(err, message);
  }
});
