// Real programs from Debian's sources (Lua 5.4, zlib's minigzip), built for wasm32-wasi and natively
// by scripts/build-third-party.sh, run under `wasmlet run`: their output must match the native build
// byte for byte.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';
import { ensureThirdParty, type ThirdPartyPrograms } from '../support/third-party.ts';

const cli = join(repoRoot, 'bin/wasmlet.js');
const luaDir = join(repoRoot, 'test/fixtures/third-party/lua');

interface Ran { status: number | null; stdout: Buffer; stderr: string }

function run(command: string, args: string[], options: { input?: Uint8Array; env?: Record<string, string> } = {}): Ran {
  const r = spawnSync(command, args, {
    input: options.input ?? new Uint8Array(0),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    maxBuffer: 64 << 20,
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

function wasmlet(args: string[], input?: Uint8Array): Ran {
  return run(process.execPath, [cli, 'run', ...args], input === undefined ? {} : { input });
}

/** About 1 MiB of deterministic, compressible text (an LCG, so no randomness between runs). */
function generatedText(bytes: number): Buffer {
  const words = ['wasm', 'lua', 'zlib', 'preopen', 'fd_write', 'deflate', 'inflate', 'node', 'sandbox', 'guest'];
  const parts: string[] = [];
  let size = 0;
  let x = 12345;
  while (size < bytes) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const line = `${words[x % words.length]} ${x.toString(16)} ${words[(x >>> 8) % words.length]}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('').slice(0, bytes));
}

let programs: ThirdPartyPrograms;
const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-third-party-'));
  temps.push(dir);
  return dir;
}

before(() => {
  assert.ok(existsSync(join(repoRoot, 'dist/cli/main.js')), 'dist/ is not built: run `npm run build` (npm test does)');
  programs = ensureThirdParty();
});
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('Lua 5.4 (lua.wasm) under wasmlet run', () => {
  test('runs a script from a read-only preopen exactly like native lua, files included', () => {
    const wasmOut = tempDir();
    const nativeOut = tempDir();
    const guest = run(process.execPath, [
      cli, 'run', '--dir-ro', `${luaDir}::/scripts`, '--dir', `${wasmOut}::/out`, '--env', 'GREETING=hello',
      programs.luaWasm, '--', '/scripts/test.lua', '/scripts/input.txt', '/out',
    ]);
    const native = run(programs.luaNative, [join(luaDir, 'test.lua'), join(luaDir, 'input.txt'), nativeOut], {
      env: { GREETING: 'hello' },
    });
    assert.equal(native.status, 0, `native lua failed: ${native.stderr}`);
    assert.equal(guest.stderr, '');
    assert.equal(guest.status, 0);
    assert.ok(guest.stdout.toString().endsWith('done\n'), 'the script ran to its end');
    assert.equal(guest.stdout.toString(), native.stdout.toString());
    assert.deepEqual(guest.stdout, native.stdout);
    const written = readFileSync(join(wasmOut, 'report.txt'));
    assert.deepEqual(written, readFileSync(join(nativeOut, 'report.txt')));
    assert.match(written.toString(), /^names: alpha,beta,gamma,delta\n[^]*appended\n$/);
  });

  test('os.exit(n) becomes the exit status; an uncaught error exits 1 with the message on stderr', () => {
    assert.equal(wasmlet([programs.luaWasm, '--', '-e', 'io.write("bye") os.exit(7)']).status, 7);
    const failed = wasmlet([programs.luaWasm, '--', '-e', 'error("kaboom")']);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /kaboom/);
  });

  test('cannot open a file outside its preopens, nor write into a read-only one', () => {
    const r = wasmlet(['--dir-ro', `${luaDir}::/scripts`, programs.luaWasm, '--', '-e',
      'io.write(tostring(io.open("/scripts/../../../../etc/passwd")), " ", tostring(io.open("/etc/hostname")), " ", '
      + 'tostring(io.open("/scripts/created-by-lua.txt", "w")), " ", tostring(io.open("/scripts/input.txt", "a")), " ", '
      + 'io.open("/scripts/input.txt"):read("l"))']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'nil nil nil nil alpha 3 1.5');
    assert.equal(existsSync(join(luaDir, 'created-by-lua.txt')), false);
  });
});

describe('zlib minigzip (minigzip.wasm) under wasmlet run', () => {
  const input = generatedText(1 << 20);

  test('compresses stdin to stdout with the same bytes as native minigzip; native inflates it back', () => {
    for (const level of [[], ['-9']]) {
      const guest = wasmlet([programs.minigzipWasm, '--', ...level], input);
      assert.equal(guest.status, 0, guest.stderr);
      assert.ok(guest.stdout.length > 20 && guest.stdout.length < input.length / 2, `compressed to ${guest.stdout.length} bytes`);
      const native = run(programs.minigzipNative, level, { input });
      assert.deepEqual(guest.stdout, native.stdout);
      const back = run(programs.minigzipNative, ['-d'], { input: guest.stdout });
      assert.equal(back.status, 0, back.stderr);
      assert.ok(back.stdout.equals(input), 'round trip through native minigzip -d');
    }
  });

  test('decompresses what native minigzip compressed', () => {
    const native = run(programs.minigzipNative, ['-6'], { input });
    assert.equal(native.status, 0);
    const guest = wasmlet([programs.minigzipWasm, '--', '-d'], native.stdout);
    assert.equal(guest.status, 0, guest.stderr);
    assert.ok(guest.stdout.equals(input), 'minigzip.wasm -d restores the input');
    const corrupt = Buffer.from(native.stdout);
    corrupt[corrupt.length - 6] ^= 0xff; // the CRC-32 in the gzip trailer
    const bad = wasmlet([programs.minigzipWasm, '--', '-d'], corrupt);
    assert.notEqual(bad.status, 0);
  });
});
