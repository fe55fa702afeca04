// The sandbox escape suite, shared by both WASI ABIs (p1, and WASI 0.2 through jco's preview1
// adapter: escape.case.test.ts) and every preopen kind (host dir read-write, host dir read-only,
// in-memory read-write and read-only). test/fixtures/p1/escape.c makes each attempt
// with raw WASI calls and prints `name errno`; here we set up the tree, compare every errno with
// the one Wasmtime gives, and check nothing outside the preopen changed.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildC } from '../../../test/support/fixtures.ts';
import { MemoryVfs } from '../../sandbox/memory-vfs.ts';
import type { AnyPreopenSpec } from '../../sandbox/preopen.ts';
import {
  ERRNO_BADF, ERRNO_INVAL, ERRNO_LOOP, ERRNO_NOENT, ERRNO_PERM, ERRNO_SUCCESS,
} from './p1/wasi-defs.ts';

/** A preopen kind the suite runs against. */
export type PreopenKind = 'host-rw' | 'host-ro' | 'memory-rw' | 'memory-ro';

const OK = ERRNO_SUCCESS;
const PERM = ERRNO_PERM;

/** Errnos that do not depend on the mount's writability. */
const READS: Record<string, number> = {
  open_dotdot: PERM,
  open_dotdot_deep: PERM,
  open_dotdot_chain: PERM,
  open_dotdot_dir: PERM,
  open_abs: PERM,
  open_abs_root: PERM,
  open_link_abs: PERM,
  open_link_abs_nofollow: ERRNO_LOOP,
  open_link_out: PERM,
  open_chain: PERM,
  open_loop: ERRNO_LOOP,
  open_self_loop: ERRNO_LOOP,
  open_loop_as_dir: ERRNO_LOOP,
  open_through_dirlink_out: PERM,
  open_dotdot_after_link: PERM,
  stat_link_out_follow: PERM,
  stat_link_abs_follow: PERM,
  stat_link_out_nofollow: OK,
  stat_dotdot: PERM,
  readlink_dotdot: PERM,
  readlink_abs: PERM,
  readlink_rel: OK,
  read_via_inside_link: OK,
  read_dotdot_inside: OK,
  open_read_inside: OK,
  fd_write_readonly_fd: ERRNO_BADF,
  open_subdir: OK,
  subdir_dotdot_escape: PERM,
  // A directory fd is its own root (cap-std Dir): `..` above it is PERM even inside the preopen.
  subdir_dotdot_inside: PERM,
  swap_open_sub: OK,
  nest_open: OK,
};

/** [read-write, read-only] errnos. A read-only mount refuses every mutation with PERM (Wasmtime). */
const WRITES: Record<string, [number, number]> = {
  create_dotdot: [PERM, PERM],
  create_abs: [PERM, PERM],
  trunc_via_link_out: [PERM, PERM],
  create_via_dangling_out: [PERM, PERM],
  mkdir_dotdot: [PERM, PERM],
  mkdir_abs: [PERM, PERM],
  symlink_abs_target: [PERM, PERM],
  symlink_at_dotdot: [PERM, PERM],
  symlink_rel_out: [OK, PERM],
  open_guest_symlink_out: [PERM, ERRNO_NOENT],
  write_guest_symlink_out: [PERM, PERM],
  rename_to_out: [PERM, PERM],
  rename_from_out: [PERM, PERM],
  rename_link_out_in: [OK, PERM],
  open_renamed_link: [PERM, ERRNO_NOENT],
  link_to_out: [PERM, PERM],
  link_from_out: [PERM, PERM],
  link_follow_flag: [ERRNO_INVAL, PERM],
  link_symlink_itself: [OK, PERM],
  open_hardlinked_symlink: [PERM, ERRNO_NOENT],
  unlink_dotdot: [PERM, PERM],
  unlink_abs: [PERM, PERM],
  rmdir_dotdot: [PERM, PERM],
  set_times_link_out: [PERM, PERM],
  open_write_inside: [OK, PERM],
  trunc_inside: [OK, PERM],
  create_inside: [OK, PERM],
  mkdir_inside: [OK, PERM],
  unlink_inside: [OK, PERM],
  rmdir_inside: [OK, PERM],
  rename_inside: [OK, PERM],
  link_inside: [OK, PERM],
  symlink_inside: [OK, PERM],
  set_times_inside: [OK, PERM],
  fd_set_size_readonly_fd: [ERRNO_INVAL, PERM],
  fd_set_times: [OK, PERM],
  subdir_create: [OK, PERM],
  swap_rename_sub_away: [OK, PERM],
  swap_symlink_sub_out: [OK, PERM],
  // rw: the fd's directory is gone from its path (now a symlink): ENOENT, never the outside file.
  swap_stat_via_fd: [ERRNO_NOENT, ERRNO_NOENT],
  swap_create_via_fd: [ERRNO_NOENT, PERM],
  swap_open_via_path: [PERM, ERRNO_NOENT],
  // A directory fd whose path now leads elsewhere is ENOENT for its own operations too.
  swap_readdir_via_fd: [ERRNO_NOENT, OK],
  swap_fd_stat: [ERRNO_NOENT, OK],
  nest_rename_away: [OK, PERM],
  nest_symlink_up: [OK, PERM],
  nest_readdir_via_fd: [ERRNO_NOENT, OK],
  nest_stat_via_fd: [ERRNO_NOENT, OK],
  nest_set_times_via_fd: [ERRNO_NOENT, PERM],
};

const FILES: Record<string, string> = {
  'file.txt': 'inside',
  'trunc.txt': 'trunc me',
  'victim.txt': 'victim',
  'ren_a.txt': 'a',
};
const LINKS: Record<string, string> = {
  'link_abs': '/etc/passwd',
  'link_out': '../outside/secret.txt',
  'link_out2': '../outside/secret.txt',
  'chain1': 'chain2',
  'chain2': 'chain3',
  'chain3': '../outside/secret.txt',
  'loop1': 'loop2',
  'loop2': 'loop1',
  'self': 'self',
  'dangle_out': '../outside/created-by-guest.txt',
  'sub/up': '..',
  'sub/up2': '../..',
};

/** A listing of a host tree: path -> content / `-> target` / `dir`. */
function snapshot(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    const key = prefix + name;
    if (st.isSymbolicLink()) out[key] = `-> ${readlinkSync(p)}`;
    else if (st.isDirectory()) { out[key] = 'dir'; Object.assign(out, snapshot(p, `${key}/`)); }
    else out[key] = readFileSync(p, 'utf8');
  }
  return out;
}

/**
 * Runs the escape program `source` (built to `wasmPath`) with `preopens` as fds 3.. ; returns its
 * exit code and stdout. escape.case.test.ts runs the core module through WASI p1, and the same
 * program as a component (jco's preview1 adapter) through the WASI 0.2 host.
 */
export type EscapeRunner = (wasmPath: string, preopens: AnyPreopenSpec[], source: string) =>
  { code: number; stdout: string } | Promise<{ code: number; stdout: string }>;

/** How the suite runs the fixture; `differs` lists attempts whose errno the ABI adapter itself
 * decides (it never reaches wasmlet), with the errno it gives. */
export interface EscapeRunnerSpec {
  label: string;
  run: EscapeRunner;
  differs?: Readonly<Record<string, number>>;
}

/** `name errno` lines -> record. */
function parseReport(stdout: string): Record<string, number> {
  const got: Record<string, number> = {};
  for (const line of stdout.trim().split('\n')) {
    const [name, errno] = line.split(' ');
    got[name!] = Number(errno);
  }
  return got;
}

/** Registers the escape suite for one preopen kind (`label` names the ABI in the test title). */
export function escapeCases(kind: PreopenKind, runner: EscapeRunnerSpec): void {
  test(`escape suite (${runner.label}, ${kind}): every attempt gets Wasmtime's errno and nothing outside changes`, async () => {
    const source = 'test/fixtures/p1/escape.c';
    const wasm = buildC(source);
    const root = mkdtempSync(join(tmpdir(), 'wasmlet-escape-'));
    try {
      const outside = join(root, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      const readOnly = kind.endsWith('-ro');
      let preopen: AnyPreopenSpec;
      let mem: MemoryVfs | null = null;
      const sandbox = join(root, 'sandbox');
      if (kind.startsWith('host')) {
        mkdirSync(join(sandbox, 'sub'), { recursive: true });
        mkdirSync(join(sandbox, 'emptydir'));
        mkdirSync(join(sandbox, 'nest/outside'), { recursive: true });
        for (const [p, c] of Object.entries(FILES)) writeFileSync(join(sandbox, p), c);
        for (const [p, t] of Object.entries(LINKS)) symlinkSync(t, join(sandbox, p));
        preopen = { guestPath: '/sandbox', hostPath: sandbox, readOnly };
      } else {
        mem = new MemoryVfs();
        mem.mkdirp('sub');
        mem.mkdirp('emptydir');
        mem.mkdirp('nest/outside');
        for (const [p, c] of Object.entries(FILES)) mem.writeFile(p, c);
        for (const [p, t] of Object.entries(LINKS)) mem.symlink(t, p);
        preopen = { guestPath: '/sandbox', vfs: mem, readOnly };
      }
      const before = kind.startsWith('host') ? snapshot(sandbox) : null;
      const passwd = statSync('/etc/passwd').mtimeMs;
      const outsideTimes = statSync(outside).mtimeMs;

      const { code, stdout } = await runner.run(wasm, [preopen], source);
      assert.equal(code, 0);
      const got = parseReport(stdout);
      const expected: Record<string, number> = { ...READS };
      for (const [name, [rw, ro]] of Object.entries(WRITES)) expected[name] = readOnly ? ro : rw;
      Object.assign(expected, runner.differs);
      assert.deepEqual(got, expected);

      // Nothing outside the preopen changed.
      assert.deepEqual(snapshot(outside), { 'secret.txt': 'secret' });
      assert.deepEqual(readdirSync(root).sort(), kind.startsWith('host') ? ['outside', 'sandbox'] : ['outside']);
      assert.equal(existsSync('/tmp/wasmlet-escape-created'), false);
      assert.equal(existsSync('/tmp/wasmlet-escape-dir'), false);
      assert.equal(statSync('/etc/passwd').mtimeMs, passwd);
      assert.equal(statSync(outside).mtimeMs, outsideTimes);

      // Inside: a read-only mount is untouched; a read-write one shows exactly the allowed edits.
      if (kind === 'host-ro') assert.deepEqual(snapshot(sandbox), before);
      if (kind === 'host-rw') {
        const after = snapshot(sandbox);
        assert.equal(after['file.txt'], 'inside');
        assert.equal(after['trunc.txt'], '');
        assert.equal(after['created.txt'], '');
        assert.equal(after['newdir'], 'dir');
        assert.equal(after['victim.txt'], undefined);
        assert.equal(after['emptydir'], undefined);
        assert.equal(after['ren_b.txt'], 'a');
        assert.equal(after['guest_out'], '-> ../outside/secret.txt');
        assert.equal(after['guest_abs'], undefined);
        assert.equal(after['hard_to_symlink'], '-> ../outside/secret.txt');
        assert.equal(after['sub_moved/new_in_sub.txt'], '');
        assert.equal(after['sub'], '-> ../outside');
        assert.equal(after['nest'], '-> ..');
        assert.equal(after['nest_moved/outside'], 'dir');
      }
      if (mem !== null) {
        assert.equal(new TextDecoder().decode(mem.readFile('file.txt')), 'inside');
        assert.equal(mem.exists('victim.txt'), readOnly);
        assert.equal(mem.exists('newdir'), !readOnly);
        assert.equal(mem.exists('guest_abs'), false);
        assert.equal(mem.exists('guest_out'), !readOnly);
        assert.equal(new TextDecoder().decode(mem.readFile('trunc.txt')), readOnly ? 'trunc me' : '');
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

/** [inner read-write, inner read-only] errnos of test/fixtures/p1/escape-overlap.c. */
const OVERLAP: Record<string, [number, number]> = {
  inner_stat_d: [OK, OK],
  outer_rename_d: [OK, OK],
  outer_symlink_d: [OK, OK],
  inner_open_via_d: [PERM, PERM],
  inner_stat_via_d: [PERM, PERM],
  outer_stat_e: [OK, OK],
  inner_rename_e: [OK, PERM],
  inner_symlink_e: [OK, PERM],
  outer_open_via_e: [PERM, ERRNO_NOENT],
  outer_rename_inner: [OK, OK],
  outer_symlink_inner: [OK, OK],
  // The inner preopen's root is gone from its path: ENOENT, never the directory now there.
  inner_open_root_file: [ERRNO_NOENT, ERRNO_NOENT],
  inner_stat_root: [ERRNO_NOENT, ERRNO_NOENT],
  inner_readdir_root: [ERRNO_NOENT, ERRNO_NOENT],
  inner_create_root: [ERRNO_NOENT, PERM],
  outer_rename_unused: [OK, OK],
  outer_symlink_unused: [OK, OK],
  unused_open_root_file: [ERRNO_NOENT, ERRNO_NOENT],
  outer_symlink_missing: [OK, OK],
  missing_open_root_file: [ERRNO_NOENT, ERRNO_NOENT],
};

/**
 * Registers the overlapping-preopens escape test: a read-write host directory (fd 3) and a
 * directory inside it (fd 4, read-write or read-only) granted to the same guest. What one
 * preopen changes must not let the other follow a symlink out.
 */
export function overlapEscapeCases(innerReadOnly: boolean, runner: EscapeRunnerSpec): void {
  test(`escape suite (${runner.label}, overlapping preopens, inner ${innerReadOnly ? 'read-only' : 'read-write'}): no symlink planted through one preopen leads the other out`, async () => {
    const source = 'test/fixtures/p1/escape-overlap.c';
    const wasm = buildC(source);
    const root = mkdtempSync(join(tmpdir(), 'wasmlet-escape-overlap-'));
    try {
      const outside = join(root, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      const sandbox = join(root, 'sandbox');
      mkdirSync(join(sandbox, 'unused'), { recursive: true });
      for (const d of ['d', 'e']) {
        mkdirSync(join(sandbox, 'inner', d), { recursive: true });
        writeFileSync(join(sandbox, 'inner', d, 'f.txt'), d);
      }
      const { code, stdout } = await runner.run(wasm, [
        { guestPath: '/outer', hostPath: sandbox, readOnly: false },
        { guestPath: '/inner', hostPath: join(sandbox, 'inner'), readOnly: innerReadOnly },
        { guestPath: '/unused', hostPath: join(sandbox, 'unused'), readOnly: innerReadOnly },
        { guestPath: '/missing', hostPath: join(sandbox, 'missing'), readOnly: innerReadOnly },
      ], source);
      assert.equal(code, 0);
      const expected: Record<string, number> = {};
      for (const [name, [rw, ro]] of Object.entries(OVERLAP)) expected[name] = innerReadOnly ? ro : rw;
      assert.deepEqual(parseReport(stdout), expected);
      assert.deepEqual(snapshot(outside), { 'secret.txt': 'secret' });
      assert.deepEqual(readdirSync(root).sort(), ['outside', 'sandbox']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
