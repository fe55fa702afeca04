import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytesInput, collectOutput, fdInput, fdOutput, nullInput, nullOutput } from './stdio.ts';

test('bytesInput reads in pieces then EOF; nullInput is at EOF', () => {
  const s = bytesInput(new TextEncoder().encode('hello'));
  const buf = new Uint8Array(3);
  assert.equal(s.read(buf), 3);
  assert.equal(new TextDecoder().decode(buf), 'hel');
  assert.equal(s.read(buf), 2);
  assert.equal(s.read(buf), 0);
  assert.equal(nullInput().read(buf), 0);
});

test('collectOutput copies what it is given (the caller may reuse the buffer)', () => {
  const out = collectOutput();
  const buf = new TextEncoder().encode('abc');
  out.write(buf);
  buf[0] = 0x7a;
  out.write(buf);
  assert.equal(out.text(), 'abczbc');
  assert.deepEqual([...out.bytes()], [...new TextEncoder().encode('abczbc')]);
  nullOutput().write(buf);
});

test('fdInput / fdOutput stream through host fds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-stdio-'));
  try {
    writeFileSync(join(dir, 'in'), 'from-host');
    const inFd = openSync(join(dir, 'in'), 'r');
    const outFd = openSync(join(dir, 'out'), 'w');
    const buf = new Uint8Array(4);
    const input = fdInput(inFd);
    let text = '';
    for (let n; (n = input.read(buf)) > 0;) text += new TextDecoder().decode(buf.subarray(0, n));
    assert.equal(text, 'from-host');
    fdOutput(outFd).write(new TextEncoder().encode('to-host'));
    closeSync(inFd);
    closeSync(outFd);
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'to-host');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fdInput / fdOutput report a terminal only for a terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-stdio-'));
  const fds: number[] = [];
  const open = (path: string, flags: string): number => { const fd = openSync(path, flags); fds.push(fd); return fd; };
  try {
    assert.equal(fdOutput(open(join(dir, 'file'), 'w')).isTTY, false);
    assert.equal(fdOutput(open('/dev/null', 'w')).isTTY, false); // a char device, not a tty
    assert.equal(fdInput(open('/dev/zero', 'r')).isTTY, false);
    // A pty master is a terminal (Linux/macOS always have /dev/ptmx).
    assert.equal(fdOutput(open('/dev/ptmx', 'r+')).isTTY, true);
    assert.equal(fdInput(open('/dev/ptmx', 'r+')).isTTY, true);
    assert.equal(fdOutput(2 ** 30).isTTY, false); // not an open fd
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
