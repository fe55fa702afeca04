// `wasmlet serve` as a child process: the README's command on the committed example, the
// `listening on` line, JSON logs, and graceful shutdown on SIGTERM with a request in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { repoRoot } from '../support/fixtures.ts';
import { buildServeApp } from '../fixtures/serve/serve-app.ts';

const ENTRY = 'test/fixtures/serve/wasmlet-cli.ts';

interface Child { proc: ChildProcess; url: string; out: () => string; exit: Promise<number | null> }

/** Starts `wasmlet serve ARGS` (or `wasmlet up ARGS`) and waits for its `listening on` line. */
async function serve(args: string[], command = 'serve'): Promise<Child> {
  const proc = spawn(process.execPath, [ENTRY, command, ...args], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  return { proc, url, out: () => out, exit };
}

test('serves the committed examples/hello and logs text access lines', async () => {
  const child = await serve(['examples/hello', '--listen', '127.0.0.1:0', '--workers', '1']);
  try {
    const res = await fetch(`${child.url}/greet?who=me`, { method: 'POST', body: 'ping' });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^Hello from WAGI!\n/);
    assert.match(text, /^X_MATCHED_ROUTE=\/\.\.\.$/m);
    assert.ok(text.endsWith('body:\nping'));
    const id = res.headers.get('x-request-id')!;
    // The line is written when the response closes: wait for it (up to 10 s on a busy machine).
    const line = new RegExp(`POST /greet\\?who=me 200 [\\d.]+ms route=/\\.\\.\\. component=hello req=${id}`);
    for (let waited = 0; !line.test(child.out()) && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.match(child.out(), line);
  } finally {
    child.proc.kill('SIGINT');
  }
  assert.equal(await child.exit, 0);
});

test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
  const dir = await buildServeApp();
  const child = await serve([dir, '--listen', ':0', '--log-format', 'json', '--workers', '1']);
  const inFlight = fetch(`${child.url}/slow?800`);
  // The guest's stderr line reaches the log while it runs: the request is in flight.
  await new Promise<void>((resolve) => {
    const check = () => (child.out().includes('slow guest: waiting 800 ms') ? resolve() : setTimeout(check, 10));
    check();
  });
  child.proc.kill('SIGTERM');
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'slept 800 ms\n');
  assert.equal(await child.exit, 0);
  const records = child.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(records.some((r) => r.msg === 'request' && r.path === '/slow?800' && r.status === 200));
  assert.ok(records.some((r) => r.msg === 'SIGTERM: shutting down'));
  assert.equal(records.at(-1)!.msg, 'stopped');
  await assert.rejects(fetch(`${child.url}/hello/x`), 'no longer accepting connections');
});

test('a bad flag is a usage error (exit 2)', async () => {
  const proc = spawn(process.execPath, [ENTRY, 'serve', '--listen', 'nope'], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise((resolve) => proc.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--listen 'nope'/);
});

test('a bad manifest: every problem on its own error line, with its line number; exit 125', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-badapp-'));
  try {
    writeFileSync(join(dir, 'wasmlet.toml'), [
      'spin_manifest_version = 2', '[application]', 'name = "x"', 'bogus = 1',
      '[[trigger.http]]', 'route = "/a"', 'component = "missing"',
    ].join('\n'));
    const proc = spawn(process.execPath, [ENTRY, 'serve', dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise((resolve) => proc.on('exit', resolve));
    assert.equal(code, 125);
    const lines = err.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, err);
    assert.match(lines[0]!, /^wasmlet: error: .*wasmlet\.toml:4: unknown key `bogus` in table `application`/);
    assert.match(lines[1]!, /^wasmlet: error: .*wasmlet\.toml:7: .*component `missing`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('host services: a required variable with no value exits 125 naming it; supplied, the app serves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-vars-app-'));
  try {
    writeFileSync(join(dir, 'spin.toml'), [
      'spin_manifest_version = 2', '[application]', 'name = "vars"',
      '[variables]', 'api_token = { required = true, secret = true }',
      '[[trigger.http]]', 'route = "/..."', 'component = "hello"',
      '[component.hello]', `source = ${JSON.stringify(join(repoRoot, 'examples/hello/hello.wasm'))}`,
      'key_value_stores = ["default", "cache"]', 'variables = { token = "{{ api_token }}" }',
    ].join('\n'));
    writeFileSync(join(dir, 'rc.toml'), '[key_value_store.cache]\ntype = "spin"\npath = "cache.db"\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SPIN|WASMLET)_VARIABLE_/.test(k)));
    const proc = spawn(process.execPath, [ENTRY, 'serve', dir, '--runtime-config-file', join(dir, 'rc.toml')],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise((resolve) => proc.on('exit', resolve));
    assert.equal(code, 125, err);
    assert.equal(err, `wasmlet: error: ${join(dir, 'spin.toml')}:5: required variable \`api_token\` has no value — set SPIN_VARIABLE_API_TOKEN`
      + ' (or WASMLET_VARIABLE_API_TOKEN) in the environment or the app\'s .env, or give it a variables_provider in the runtime config\n');

    // Supplied through the environment, with the runtime config's label and a state dir: it serves,
    // and the secret value appears in no output.
    process.env.SPIN_VARIABLE_API_TOKEN = 'tok-s3cr3t';
    let child: Child | undefined;
    try {
      child = await serve([dir, '--listen', ':0', '--log-format', 'json', '--workers', '1',
        '--runtime-config-file', join(dir, 'rc.toml'), '--state-dir', join(dir, 'state')]);
    } finally {
      delete process.env.SPIN_VARIABLE_API_TOKEN;
    }
    const res = await fetch(`${child.url}/x`);
    assert.equal(res.status, 200);
    await res.text();
    child.proc.kill('SIGINT');
    assert.equal(await child.exit, 0);
    assert.doesNotMatch(child.out(), /s3cr3t/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve --help lists the host-service flags', async () => {
  const proc = spawn(process.execPath, [ENTRY, 'serve', '--help'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  assert.equal(await new Promise((resolve) => proc.on('exit', resolve)), 0);
  assert.match(out, /--runtime-config-file FILE/);
  assert.match(out, /--state-dir DIR/);
  assert.match(out, /SPIN_VARIABLE_<NAME>/);
});

test('wasmlet up is serve under Spin\'s name: it serves the app and the top-level help lists it', async () => {
  const child = await serve(['examples/hello', '--listen', '127.0.0.1:0', '--workers', '1'], 'up');
  try {
    const res = await fetch(`${child.url}/greet?who=me`, { method: 'POST', body: 'ping' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  } finally {
    child.proc.kill('SIGTERM');
    await child.exit;
  }
  const proc = spawn(process.execPath, [ENTRY, '--help'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  assert.equal(await new Promise((resolve) => proc.on('exit', resolve)), 0);
  assert.match(out, /^ {2}up +Alias of serve/m);
});
