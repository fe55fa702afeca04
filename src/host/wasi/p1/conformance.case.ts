// WASI preview1 conformance cases shared by every vfs kind (host directory, in-memory), in the
// manner of ../escape.case.ts:
// - test/fixtures/p1/testsuite-ports.c: C ports of WebAssembly/wasi-testsuite's preview1 tests
//   wasmlet used to fail (nanosecond set-times, trailing slashes on path_link/path_symlink) and
//   its other trailing-slash tests; every one must print `ok`.
// - test/fixtures/p1/trailing-slash.c: ~100 path operations on names ending in `/`, built both
//   for WASI and natively; wasmlet must give, case by case, the errno the Linux kernel gives.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildC, buildNativeC } from '../../../../test/support/fixtures.ts';
import { MemoryVfs } from '../../../sandbox/memory-vfs.ts';
import type { AnyPreopenSpec } from '../../../sandbox/preopen.ts';
import type { EscapeRunnerSpec } from '../escape.case.ts';
import { runP1 } from '../../../../test/support/wasi-p1.ts';

/** A vfs kind the suite runs against (always read-write: these cases mutate). */
export type ConformanceKind = 'host' | 'memory';

const p1Runner: EscapeRunnerSpec = { label: 'p1', run: (wasm, preopens) => runP1(wasm, { preopens }) };

/** The tests testsuite-ports.c runs, each named after its wasi-testsuite source file. */
export const PORTED_TESTS = [
  'fd_filestat_set', 'path_filestat', 'symlink_filestat', 'path_link', 'path_symlink_trailing_slashes',
  'unlink_file_trailing_slashes', 'remove_directory_trailing_slashes', 'path_rename_dir_trailing_slashes',
  'interesting_paths',
] as const;

/** Runs `source` (a p1 guest) with one fresh read-write preopen of `kind` as fd 3. */
async function runFresh(kind: ConformanceKind, runner: EscapeRunnerSpec, source: string): Promise<{ code: number; stdout: string }> {
  const wasm = buildC(source);
  if (kind === 'memory') return runner.run(wasm, [{ guestPath: '/t', vfs: new MemoryVfs() }], source);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-conformance-'));
  try {
    const preopen: AnyPreopenSpec = { guestPath: '/t', hostPath: dir, readOnly: false };
    return await runner.run(wasm, [preopen], source);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Registers the conformance cases for one vfs kind. */
export function conformanceCases(kind: ConformanceKind, runner: EscapeRunnerSpec = p1Runner): void {
  test(`wasi-testsuite ports (${runner.label}, ${kind}): fd_filestat_set, path_filestat, symlink_filestat, path_link and the trailing-slash tests pass`, async () => {
    const { code, stdout } = await runFresh(kind, runner, 'test/fixtures/p1/testsuite-ports.c');
    assert.equal(code, 0);
    assert.deepEqual(stdout.trim().split('\n'), PORTED_TESTS.map((name) => `ok ${name}`));
  });

  test(`trailing slashes (${runner.label}, ${kind}): every path operation gives the errno Linux gives`, async () => {
    const source = 'test/fixtures/p1/trailing-slash.c';
    const dir = mkdtempSync(join(tmpdir(), 'wasmlet-trailing-native-'));
    let linux: string;
    try {
      linux = execFileSync(buildNativeC(source), [dir], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { code, stdout } = await runFresh(kind, runner, source);
    assert.equal(code, 0);
    const expected = linux.trim().split('\n');
    assert.ok(expected.length > 90, 'the native run reported every case');
    assert.deepEqual(stdout.trim().split('\n'), expected);
  });
}
