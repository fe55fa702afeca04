import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildC, watToBytes } from '../../../../test/support/fixtures.ts';
import { runP1, runP1Bytes } from '../../../../test/support/wasi-p1.ts';
import { MemoryVfs } from '../../../sandbox/memory-vfs.ts';
import type { AnyPreopenSpec } from '../../../sandbox/preopen.ts';
import { bytesInput, collectOutput, fdOutput } from '../../../sandbox/stdio.ts';
import { ProcExit, WASI_P1_FUNCTIONS, WasiP1, wasiP1ImportNames } from './wasi-p1.ts';

const tmpRoots: string[] = [];
after(() => { for (const d of tmpRoots) rmSync(d, { recursive: true, force: true }); });

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'wasmlet-p1-'));
  tmpRoots.push(d);
  return d;
}

const ops = (): string => buildC('test/fixtures/p1/p1-ops.c');

/** A fresh preopen of each kind, plus a reader for files in it. */
const KINDS: Record<string, () => { preopen: AnyPreopenSpec; read: (p: string) => string }> = {
  host: () => {
    const d = tmp();
    return { preopen: { guestPath: '/w', hostPath: d, readOnly: false }, read: (p) => readFileSync(join(d, p), 'utf8') };
  },
  memory: () => {
    const vfs = new MemoryVfs();
    return { preopen: { guestPath: '/w', vfs }, read: (p) => new TextDecoder().decode(vfs.readFile(p)) };
  },
};

function lines(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of s.trim().split('\n')) {
    const i = l.indexOf(' ');
    out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

describe('args, environ, clocks, random', () => {
  test('args and env are exactly the ones given', () => {
    const r = runP1(ops(), { args: ['prog', 'args', 'two words', 'ünï'], env: { A: '1', EMPTY: '', EQ: 'x=y' } });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'arg prog\narg args\narg two words\narg ünï\nenv A=1\nenv EMPTY=\nenv EQ=x=y\n');
  });

  test('nothing is inherited by default', () => {
    const r = runP1(ops(), { args: ['p', 'args'] });
    assert.equal(r.stdout, 'arg p\narg args\n');
  });

  test('clocks', () => {
    const r = lines(runP1(ops(), { args: ['p', 'clock'] }).stdout);
    assert.equal(r['monotonic_nondecreasing'], '1');
    assert.equal(r['res_positive'], '1');
    assert.ok(Math.abs(Number(r['realtime_s']) - Date.now() / 1000) < 5);
    assert.equal(r['cputime'], '8'); // BADF, as Wasmtime
    assert.equal(r['bad_clock'], '28');
  });

  test('random_get fills memory with fresh bytes', () => {
    assert.deepEqual(lines(runP1(ops(), { args: ['p', 'random'] }).stdout), { differ: '1', mostly_nonzero: '1' });
  });
});

for (const [kind, make] of Object.entries(KINDS)) {
  describe(`filesystem on a ${kind} preopen`, () => {
    test('fd_write/read/seek/tell/pread/pwrite/set_size/fdstat and open errors', () => {
      const { preopen } = make();
      const r = runP1(ops(), { args: ['p', 'fileio'], preopens: [preopen] });
      assert.equal(r.code, 0, r.stdout);
      assert.equal(r.stdout, [
        'tell 11', "read 11 'hello world'", 'seek_end 6', 'seek_negative 28', 'seek_bad_whence 28',
        'tell_after_pwrite 6', "pread 11 'hello WORLD'", 'size 5 type 4', 'extended 8 000', 'size_after_hole 11',
        'advise 0 bad_advice 28 allocate 58', 'fdstat type 4 flags 0 read 1 write 1', 'append flags 1 size 12',
        'set_flags_sync 28 set_rights 58', 'closed_again 8', 'ro read 1 write 0', 'ro_write 8', 'open_missing 44',
        'open_excl_existing 20', 'open_file_as_dir 54', 'open_trailing_slash_file 54', 'open_empty 44',
        'open_dir_write 31', 'open_dir_creat_flag 28', 'open_sync_flag 58', 'open_on_file_fd 8', '',
      ].join('\n'));
    });

    test('fd_readdir with cookies, small buffers and past the end', () => {
      const { preopen } = make();
      const r = lines(runP1(ops(), { args: ['p', 'readdir'], preopens: [preopen] }).stdout);
      assert.equal(r['entries'], '7');
      assert.deepEqual(r['seen']!.trim().split(' ').sort(), ['..:3', '.:3', 'alpha:4', 'beta:4', 'gamma:4', 'lnk:7', 'sub:3']);
      assert.equal(r['full_total_gt_30'], '1 small_used 30');
      assert.equal(r['past_end'], '0');
      assert.equal(r['readdir_on_file'], '8');
    });

    test('path_* operations: stat, set_times, symlink, readlink, link, rename, unlink, rmdir, prestat', () => {
      const { preopen } = make();
      const r = runP1(ops(), { args: ['p', 'paths'], preopens: [preopen] });
      assert.equal(r.code, 0, r.stdout);
      assert.equal(r.stdout, [
        'mkdir_exists 20', 'stat size 5 type 4 nlink 1', 'stat dir type 3', 'times 1000 2000', 'mtime_only 1000 3000',
        'times_both_inval 28', "readlink 5 'f.txt'", 'readlink_trunc 2', 'readlink_not_link 28', 'lstat type 7',
        'stat_follow type 4 size 5', 'symlink_exists 20', 'stat_dangling 44', 'nlink_after_link 2', 'link_exists 20',
        'old_gone 44', 'renamed size 5', 'rename_dir 0', 'rename_missing 44', 'rmdir_notempty 55', 'unlink_dir 31',
        'rmdir_file 54', 'f_still_there size 5 nlink 1', 'unlink_missing 44', 'path_on_stdout 8', 'notdir_component 54',
        "prestat tag 0 len 2 name '/w'", 'prestat_short 37', 'prestat_stdout 8 prestat_bad 8',
        'preopen fdstat type 3 path_open 1', '',
      ].join('\n'));
    });

    test('poll_oneoff: relative and absolute clocks sleep; fd subscriptions are ready at once', () => {
      const { preopen } = make();
      const r = runP1(ops(), { args: ['p', 'poll'], preopens: [preopen] });
      assert.equal(r.stdout, [
        'clock n 1 userdata 7 type 0 slept_enough 1', 'abs n 1 reached 1', 'fds n 2 first 8/1 second 9/2 quick 1',
        'file n 1 nbytes 4', 'bad_fd 8', 'zero_subs 28', '',
      ].join('\n'));
    });

    test('buffered writes are visible to every other observer and flushed at exit', () => {
      const { preopen, read } = make();
      const r = runP1(ops(), { args: ['p', 'buffer'], preopens: [preopen] });
      assert.equal(r.stdout, [
        'other_fd_read 2000', 'path_stat_size 2020', "seek_read 'cdEF' pos 2018", "pread_other 'XYab'",
        'after_close_size 2027', "interleaved 'bbaacc'", '',
      ].join('\n'));
      assert.equal(read('two.txt'), 'bbaacc-tail');
      assert.equal(read('buf.txt').length, 2027);
      assert.ok(read('buf.txt').startsWith('XYab'));
    });

    test('stdio is virtualized: closing/renumbering fds 1 and 2 changes only the guest table', () => {
      const { preopen, read } = make();
      const stdout = collectOutput();
      const stderr = collectOutput();
      const r = runP1(ops(), { args: ['p', 'stdio'], preopens: [preopen], stdout, stderr });
      assert.equal(r.code, 0);
      assert.equal(stdout.text(), 'to-stdout\nstdout-via-renumbered-fd\nstdout-via-fd2\n');
      assert.equal(stderr.text(), 'to-stderr\n');
      assert.equal(read('out.txt'), ''); // replaced by renumber before anything was written
      assert.equal(read('res.txt'), [
        'renumber_to_closed 8', 'renumber_from_closed 8', 'write_fd1_after_renumber 8', 'write_closed_2 8',
        'close_closed_2 8', 'seek_stdin 70 tell_stdin 70', 'pwrite_stream 8', 'stdin_fdstat type 0 read 1 write 0',
        'sock 57 8 57', 'proc_raise 58 sched_yield 0', 'new_fd 5', '',
      ].join('\n'));
    });
  });
}

test('a guest closing fd 1 and 2 never closes the host fds behind them', () => {
  const d = tmp();
  const outFd = openSync(join(d, 'host-out'), 'w');
  const errFd = openSync(join(d, 'host-err'), 'w');
  try {
    const r = runP1(ops(), { args: ['p', 'stdio'], preopens: [{ guestPath: '/w', hostPath: d, readOnly: false }], stdout: fdOutput(outFd), stderr: fdOutput(errFd) });
    assert.equal(r.code, 0);
    fstatSync(outFd);
    fstatSync(errFd);
    writeSync(outFd, 'host-still-writes\n');
    writeSync(errFd, 'host-err-still-writes\n');
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  assert.equal(readFileSync(join(d, 'host-out'), 'utf8'), 'to-stdout\nstdout-via-renumbered-fd\nstdout-via-fd2\nhost-still-writes\n');
  assert.equal(readFileSync(join(d, 'host-err'), 'utf8'), 'to-stderr\nhost-err-still-writes\n');
});

test('stdin reads from the configured stream until EOF; default stdin is empty', () => {
  assert.equal(runP1(ops(), { args: ['p', 'stdin'], stdin: bytesInput(new TextEncoder().encode('hello stdin')) }).stdout, 'hello stdin|11\n');
  assert.equal(runP1(ops(), { args: ['p', 'stdin'] }).stdout, '|0\n');
});

test('proc_exit(n) becomes the exit code; returning from _start is 0', () => {
  assert.equal(runP1(ops(), { args: ['p', 'exit', '42'] }).code, 42);
  assert.equal(runP1(ops(), { args: ['p', 'exit', '0'] }).code, 0);
  assert.equal(runP1(ops(), { args: ['p', 'args'] }).code, 0);
  // Wasmtime: a status >= 126 is a trap, not an exit code.
  assert.throws(() => runP1(ops(), { args: ['p', 'exit', '200'] }), WebAssembly.RuntimeError);
});

const WAT_PRELUDE = `
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
`;

test('WAT: memory.grow between calls re-creates the memory views', async () => {
  const bytes = await watToBytes(`(module ${WAT_PRELUDE}
    (data (i32.const 16) "hi")
    (func (export "_start")
      (drop (memory.grow (i32.const 3)))
      ;; write "hi" from a buffer placed in the grown part
      (i32.store16 (i32.const 200000) (i32.load16_u (i32.const 16)))
      (i32.store (i32.const 0) (i32.const 200000))
      (i32.store (i32.const 4) (i32.const 2))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 250000)))
      (if (i64.eqz (i64.load (i32.const 250000))) (then (call $proc_exit (i32.const 3))))
      (call $proc_exit (call $random (i32.const 260000) (i32.const 16)))))`);
  const out = collectOutput();
  const { code } = runP1Bytes(bytes, { stdout: out });
  assert.equal(code, 0);
  assert.equal(out.text(), 'hi');
});

test('WAT: an iovec pointing outside memory traps; a bad fd is EBADF', async () => {
  const bytes = await watToBytes(`(module ${WAT_PRELUDE}
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 65530))
      (i32.store (i32.const 4) (i32.const 100))
      (if (i32.ne (call $fd_write (i32.const 9) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 8))
        (then (call $proc_exit (i32.const 1))))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`);
  assert.throws(() => runP1Bytes(bytes), WebAssembly.RuntimeError);
});

test('trace logs each call with decoded paths and errno names', () => {
  const linesOut: string[] = [];
  const d = tmp();
  runP1(ops(), { args: ['p', 'paths'], preopens: [{ guestPath: '/w', hostPath: d, readOnly: false }], trace: (l) => linesOut.push(l) });
  assert.ok(linesOut.includes('path_create_directory(3, "p") -> SUCCESS'), linesOut.slice(0, 5).join('\n'));
  assert.ok(linesOut.includes('path_create_directory(3, "p") -> EXIST'));
  assert.ok(linesOut.some((l) => /^path_open\(3, 1, "p\/f\.txt", 1, \d+, \d+, 0, \d+\) -> SUCCESS$/.test(l)));
  assert.ok(linesOut.some((l) => l.startsWith('proc_exit(') === false && l.startsWith('fd_write(1, ')));
});

test('initialize() runs a reactor; ProcExit escapes to the embedder', async () => {
  const bytes = await watToBytes(`(module ${WAT_PRELUDE}
    (global $g (mut i32) (i32.const 0))
    (func (export "_initialize") (global.set $g (i32.const 5)))
    (func (export "get") (result i32) (global.get $g))
    (func (export "quit") (call $proc_exit (i32.const 9))))`);
  const wasi = new WasiP1();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), wasi.imports);
  wasi.initialize(instance);
  assert.equal((instance.exports['get'] as () => number)(), 5);
  assert.throws(() => (instance.exports['quit'] as () => void)(), (e: unknown) => e instanceof ProcExit && e.code === 9);
  wasi.dispose();
  wasi.dispose();
});

test('start() rejects a module without _start with a typed error', async () => {
  const bytes = await watToBytes(`(module (memory (export "memory") 1))`);
  const wasi = new WasiP1();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), wasi.imports);
  assert.throws(() => wasi.start(instance), { code: 'WASMLET_ERR_NO_START' });
});

test('WAT: an iovec count past the end of memory traps (u32, never read as negative)', async () => {
  // 0xffffffff iovecs: the array cannot fit in memory, so the call traps (Wasmtime: out-of-bounds
  // pointer), rather than seeing a negative count and reporting 0 bytes.
  for (const fn of ['fd_write', 'fd_read']) {
    const bytes = await watToBytes(`(module
      (import "wasi_snapshot_preview1" "${fn}" (func $io (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (drop (call $io (i32.const ${fn === 'fd_write' ? 1 : 0}) (i32.const 0) (i32.const -1) (i32.const 8)))))`);
    assert.throws(() => runP1Bytes(bytes), WebAssembly.RuntimeError, fn);
  }
});

test('WAT: on an in-memory preopen, a guest-chosen huge offset or size is ENOSPC, never a host allocation', async () => {
  const bytes = await watToBytes(`(module
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_pwrite" (func $pwrite (param i32 i32 i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $set_size (param i32 i64) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 100) "f.txt")
    (func (export "_start") (local $fd i32)
      (i32.store (i32.const 300) (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 5) (i32.const 1) (i64.const 66) (i64.const 66) (i32.const 0) (i32.const 200)))
      (local.set $fd (i32.load (i32.const 200)))
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 1))
      (i32.store (i32.const 304) (call $pwrite (local.get $fd) (i32.const 0) (i32.const 1) (i64.const 0x10000000000) (i32.const 8)))
      (i32.store (i32.const 308) (call $pwrite (local.get $fd) (i32.const 0) (i32.const 1) (i64.const 0x80000000) (i32.const 8)))
      (i32.store (i32.const 312) (call $set_size (local.get $fd) (i64.const 0x10000000000)))
      (i32.store (i32.const 316) (call $set_size (local.get $fd) (i64.const 0x40000000)))
      (i32.store (i32.const 320) (call $pwrite (local.get $fd) (i32.const 0) (i32.const 1) (i64.const 1000) (i32.const 8)))))`);
  const vfs = new MemoryVfs({ maxBytes: 1 << 20 });
  const { code, instance } = runP1Bytes(bytes, { preopens: [{ guestPath: '/m', vfs }] });
  assert.equal(code, 0);
  const results = new Uint32Array((instance.exports['memory'] as WebAssembly.Memory).buffer, 300, 6);
  // open OK; 1 TiB and 2 GiB offsets and sizes: ENOSPC (51); a small write still works.
  assert.deepEqual([...results], [0, 51, 51, 51, 51, 0]);
  assert.equal(vfs.readFile('f.txt').length, 1001);
});

describe('open descriptor cap', () => {
  // Opens "f" (read-only) until path_open fails; stores at 300 the count, at 304 the errno, at 308
  // the result of one more open after closing the last fd. `close_all` closes what it opened.
  const OPEN_LOOP = `(module
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 100) "f")
    (func $open_f (result i32)
      (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (func (export "open_all") (local $n i32) (local $err i32)
      (block $done (loop $more
        (local.set $err (call $open_f))
        (br_if $done (local.get $err))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $n) (i32.const 100000)))
        (br $more)))
      (i32.store (i32.const 300) (local.get $n))
      (i32.store (i32.const 304) (local.get $err))
      (drop (call $close (i32.sub (i32.load (i32.const 200)) (i32.const 0))))
      (i32.store (i32.const 308) (call $open_f))))`;

  async function openAll(preopen: AnyPreopenSpec, maxOpenFds?: number): Promise<{ opened: number; errno: number; reopen: number; hostFdsDuring: number }> {
    const bytes = await watToBytes(OPEN_LOOP);
    const wasi = new WasiP1({ preopens: [preopen], ...(maxOpenFds === undefined ? {} : { maxOpenFds }) });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), wasi.imports);
    wasi.initialize(instance);
    const fdsBefore = readdirSync('/proc/self/fd').length;
    (instance.exports['open_all'] as () => void)();
    const hostFdsDuring = readdirSync('/proc/self/fd').length - fdsBefore;
    const [opened, errno, reopen] = new Uint32Array((instance.exports['memory'] as WebAssembly.Memory).buffer, 300, 3);
    wasi.dispose();
    return { opened: opened!, errno: errno!, reopen: reopen!, hostFdsDuring };
  }

  test('path_open past maxOpenFds is ERRNO_MFILE and takes no host fd; closing one frees a slot', async () => {
    const d = tmp();
    writeFileSync(join(d, 'f'), 'x');
    // 16 in all: stdio (3) + the preopen + 12 files.
    const r = await openAll({ guestPath: '/w', hostPath: d, readOnly: true }, 16);
    assert.deepEqual({ opened: r.opened, errno: r.errno, reopen: r.reopen }, { opened: 12, errno: 33 /* MFILE */, reopen: 0 });
    assert.equal(r.hostFdsDuring, 12); // the refused opens never reached the host
  });

  test('the default cap is 1024 descriptors per instance', async () => {
    const vfs = new MemoryVfs();
    vfs.writeFile('f', new Uint8Array([1]));
    const r = await openAll({ guestPath: '/m', vfs });
    assert.deepEqual({ opened: r.opened, errno: r.errno, reopen: r.reopen }, { opened: 1024 - 4, errno: 33, reopen: 0 });
  });
});

describe('only: building the imports a module uses', () => {
  test('imports holds exactly the listed p1 functions; names p1 does not define are left out', () => {
    const wasi = new WasiP1({ only: ['fd_write', 'proc_exit', 'not_a_wasi_function'] });
    assert.deepEqual(Object.keys(wasi.imports['wasi_snapshot_preview1']!).sort(), ['fd_write', 'proc_exit']);
    assert.equal(Object.keys(new WasiP1().imports['wasi_snapshot_preview1']!).length, WASI_P1_FUNCTIONS.length);
    assert.equal(WASI_P1_FUNCTIONS.length, 46);
  });

  test('a C guest runs the same with only the names wasiP1ImportNames lists', () => {
    const module = new WebAssembly.Module(readFileSync(ops()));
    const names = wasiP1ImportNames(module);
    assert.ok(names.includes('fd_write') && names.length < WASI_P1_FUNCTIONS.length, names.join(' '));
    for (const only of [undefined, names]) {
      const stdout = collectOutput();
      const wasi = new WasiP1({ args: ['p', 'args'], env: { A: '1' }, stdout, ...(only ? { only } : {}) });
      assert.equal(wasi.start(new WebAssembly.Instance(module, wasi.imports)), 0);
      assert.equal(stdout.text(), 'arg p\narg args\nenv A=1\n');
    }
  });
});

test('WAT: a WasiP1 sharing another\'s context sees its descriptors and reads its own module\'s memory', async () => {
  const opener = await watToBytes(`(module
    (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (memory (export "memory") 1) (data (i32.const 16) "f.txt")
    (func (export "open") (result i32)
      (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 100)))
      (i32.load (i32.const 100))))`);
  const writer = await watToBytes(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1) (data (i32.const 32) "hi")
    (func (export "write") (param i32) (result i32)
      (i32.store (i32.const 0) (i32.const 32)) (i32.store (i32.const 4) (i32.const 2))
      (call $fd_write (local.get 0) (i32.const 0) (i32.const 1) (i32.const 8))))`);
  const vfs = new MemoryVfs();
  const owner = new WasiP1({ preopens: [{ guestPath: '/w', vfs }] });
  const sharer = new WasiP1({}, owner);
  const a = new WebAssembly.Instance(new WebAssembly.Module(opener as Uint8Array<ArrayBuffer>), owner.imports);
  const b = new WebAssembly.Instance(new WebAssembly.Module(writer as Uint8Array<ArrayBuffer>), sharer.imports);
  owner.initialize(a);
  sharer.initialize(b);
  const fd = (a.exports['open'] as () => number)();
  assert.equal(fd, 4, 'the opener got the next descriptor after the preopen');
  assert.equal((b.exports['write'] as (fd: number) => number)(fd), 0, 'the writer uses the opener\'s descriptor: one table');
  sharer.flush();
  assert.equal(new TextDecoder().decode(vfs.readFile('f.txt')), 'hi', 'the bytes came from the writer\'s memory (the opener has none at 32)');
  sharer.dispose();
  assert.equal((b.exports['write'] as (fd: number) => number)(fd), 8, 'closed through either: EBADF');
});
