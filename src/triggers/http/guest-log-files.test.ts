import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWasmletError } from '../../util/errors.ts';
import { GuestLogFiles, guestLogFileName } from './guest-log-files.ts';

test('file names are Spin\'s, with unsafe characters replaced', () => {
  assert.equal(guestLogFileName('hello-world', 'stdout'), 'hello-world_stdout.txt');
  assert.equal(guestLogFileName('a/../b', 'stderr'), 'a_.._b_stderr.txt');
});

test('lines go to the component\'s stream file, appended to what was there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-guest-logs-'));
  try {
    writeFileSync(join(dir, 'api_stderr.txt'), 'from before\n');
    const files = new GuestLogFiles({ dir: join(dir, 'logs') });
    files.write('api', 'stdout', 'one');
    files.write('api', 'stderr', 'two');
    files.write('api', 'stdout', 'three');
    files.close();
    assert.equal(readFileSync(join(dir, 'logs', 'api_stdout.txt'), 'utf8'), 'one\nthree\n');
    assert.equal(readFileSync(join(dir, 'logs', 'api_stderr.txt'), 'utf8'), 'two\n');
    const again = new GuestLogFiles({ dir });
    again.write('api', 'stderr', 'after');
    again.close();
    assert.equal(readFileSync(join(dir, 'api_stderr.txt'), 'utf8'), 'from before\nafter\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that would pass the size limit is rotated to .1, .2, ...; the oldest past the count is dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-guest-logs-'));
  try {
    const files = new GuestLogFiles({ dir, maxFileBytes: 10, maxFiles: 2 });
    for (const line of ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee']) { files.write('c', 'stdout', line); files.flush(); }
    files.close();
    assert.deepEqual(readdirSync(dir).sort(), ['c_stdout.txt', 'c_stdout.txt.1', 'c_stdout.txt.2']);
    assert.equal(readFileSync(join(dir, 'c_stdout.txt'), 'utf8'), 'eeee\n');
    assert.equal(readFileSync(join(dir, 'c_stdout.txt.1'), 'utf8'), 'cccc\ndddd\n');
    assert.equal(readFileSync(join(dir, 'c_stdout.txt.2'), 'utf8'), 'aaaa\nbbbb\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a log dir that cannot be created is WASMLET_ERR_LOG_DIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-guest-logs-'));
  try {
    writeFileSync(join(dir, 'file'), '');
    assert.throws(() => new GuestLogFiles({ dir: join(dir, 'file', 'logs') }),
      (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_LOG_DIR' && err.message.includes('--log-dir'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
