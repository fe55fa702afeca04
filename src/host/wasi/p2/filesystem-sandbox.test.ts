import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCComponent } from '../../../../test/support/components.ts';
import { runComponentCommand } from '../../../engine/component/run-command.ts';
import { prepareComponent } from '../../../engine/component/transpile.ts';
import { MemoryVfs } from '../../../sandbox/memory-vfs.ts';
import type { AnyPreopenSpec } from '../../../sandbox/preopen.ts';
import { WasiCtx } from '../ctx.ts';
import { callbackSink } from './cli.ts';
import { createSandboxFilesystem, type Descriptor, type DirectoryEntryStream } from './filesystem-sandbox.ts';
import type { InputStream, IoError, OutputStream } from './io.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-p2fs-test-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

// (The sandbox escape suite runs through this filesystem too: ../escape.case.test.ts.)

/** A p2 filesystem over a fresh context with `preopens`. */
function sandboxFs(preopens: AnyPreopenSpec[], maxOpenFds?: number) {
  return createSandboxFilesystem(new WasiCtx({ stdin: null, stdout: null, stderr: null, preopens, ...(maxOpenFds === undefined ? {} : { maxOpenFds }) }));
}

type Types = { filesystemErrorCode(e: IoError): string | undefined };

function preopen(readOnly: boolean): { dir: Descriptor; types: Types; closeAll(): void; root: string } {
  const root = mkdtempSync(join(cacheDir, 'tree-'));
  writeFileSync(join(root, 'a.txt'), 'hello');
  mkdirSync(join(root, 'sub'));
  const fs = sandboxFs([{ guestPath: '/data', hostPath: root, readOnly }]);
  const [[dir, name]] = (fs.preopens as { getDirectories(): [Descriptor, string][] }).getDirectories() as [[Descriptor, string]];
  assert.equal(name, '/data');
  return { dir, types: fs.types as Types, closeAll: () => fs.closeAll(), root };
}

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  return 'no error';
}

test('descriptor: open, read, write, stat, streams and directory listing', () => {
  const { dir, closeAll, root } = preopen(false);
  try {
    assert.equal(dir.getType(), 'directory');
    const f = dir.openAt({ symlinkFollow: true }, 'a.txt', {}, { read: true, write: true });
    assert.equal(f.getType(), 'regular-file');
    const [bytes, eof] = f.read(100n, 0n);
    assert.equal(Buffer.from(bytes).toString(), 'hello');
    assert.equal(eof, true);
    assert.equal(f.write(new TextEncoder().encode('J'), 0n), 1n);
    const out = f.appendViaStream() as OutputStream;
    out.write(new TextEncoder().encode(' world'));
    assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'Jello world');
    const input = f.readViaStream(6n) as InputStream;
    assert.equal(Buffer.from(input.read(100n)).toString(), 'world');
    assert.deepEqual(thrown(() => input.read(100n)), { tag: 'closed' });
    const st = f.stat();
    assert.equal(st.size, 11n);
    assert.equal(st.type, 'regular-file');
    assert.equal(dir.statAt({}, 'a.txt').size, 11n);
    assert.ok(f.isSameObject(dir.openAt({}, 'a.txt', {}, { read: true })));
    assert.ok(!f.isSameObject(dir));
    assert.deepEqual(f.metadataHash(), dir.metadataHashAt({}, 'a.txt'));
    dir.createDirectoryAt('made');
    const names: string[] = [];
    const stream = dir.readDirectory() as DirectoryEntryStream;
    for (let e = stream.readDirectoryEntry(); e; e = stream.readDirectoryEntry()) names.push(`${e.name}:${e.type}`);
    assert.deepEqual(names.sort(), ['a.txt:regular-file', 'made:directory', 'sub:directory']);
    dir.renameAt('a.txt', dir, 'sub/b.txt');
    assert.equal(readFileSync(join(root, 'sub/b.txt'), 'utf8'), 'Jello world');
    dir.symlinkAt('sub/b.txt', 'link');
    assert.equal(dir.readlinkAt('link'), 'sub/b.txt');
    dir.unlinkFileAt('link');
    dir.removeDirectoryAt('made');
    assert.deepEqual(f.getFlags(), { read: true, write: true, mutateDirectory: false });
  } finally {
    closeAll();
  }
});

test('error-code names are the WIT case names, verbatim', () => {
  const { dir, closeAll } = preopen(false);
  try {
    assert.equal(thrown(() => dir.openAt({}, 'missing.txt', {}, { read: true })), 'no-entry');
    assert.equal(thrown(() => dir.openAt({}, '../x', {}, { read: true })), 'not-permitted');
    assert.equal(thrown(() => dir.openAt({}, '/etc/passwd', {}, { read: true })), 'not-permitted');
    assert.equal(thrown(() => dir.createDirectoryAt('sub')), 'exist');
    assert.equal(thrown(() => dir.removeDirectoryAt('a.txt')), 'not-directory');
    assert.equal(thrown(() => dir.openAt({}, 'sub', {}, { read: true, write: true })), 'is-directory');
    const ro = dir.openAt({}, 'a.txt', {}, { read: true });
    assert.equal(thrown(() => ro.write(new Uint8Array(1), 0n)), 'bad-descriptor');
    assert.equal(thrown(() => ro.writeViaStream(0n)), 'bad-descriptor');
    assert.equal(thrown(() => dir.read(1n, 0n)), 'bad-descriptor');
    assert.equal(thrown(() => ro.openAt({}, 'x', {}, {})), 'not-directory');
    assert.equal(thrown(() => dir.linkAt({ symlinkFollow: true }, 'a.txt', dir, 'l')), 'invalid');
  } finally {
    closeAll();
  }
});

test('read-only preopen: every mutation is not-permitted, reads work', () => {
  const { dir, closeAll, root } = preopen(true);
  try {
    assert.deepEqual(dir.getFlags(), { read: true, mutateDirectory: false });
    const f = dir.openAt({}, 'a.txt', {}, { read: true });
    assert.equal(Buffer.from(f.read(10n, 0n)[0]).toString(), 'hello');
    for (const op of [
      () => dir.openAt({}, 'a.txt', {}, { read: true, write: true }),
      () => dir.openAt({}, 'new.txt', { create: true }, { read: true }),
      () => dir.openAt({}, 'a.txt', { truncate: true }, { read: true }),
      () => dir.createDirectoryAt('d'),
      () => dir.unlinkFileAt('a.txt'),
      () => dir.removeDirectoryAt('sub'),
      () => dir.renameAt('a.txt', dir, 'b.txt'),
      () => dir.symlinkAt('a.txt', 's'),
      () => dir.linkAt({}, 'a.txt', dir, 'h'),
      () => dir.setTimesAt({}, 'a.txt', { tag: 'now' }, { tag: 'now' }),
      () => f.setSize(0n),
      () => f.setTimes({ tag: 'now' }, { tag: 'no-change' }),
      () => dir.openAt({}, 'sub', { directory: true }, { read: true, mutateDirectory: true }),
    ]) assert.equal(thrown(op), 'not-permitted');
    assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'hello');
  } finally {
    closeAll();
  }
});

test('a file stream failure carries its error-code through filesystem-error-code', () => {
  const mem = new MemoryVfs();
  mem.mkdirp('d');
  const fs = sandboxFs([{ guestPath: '/', vfs: mem }]);
  const [[dir]] = (fs.preopens as { getDirectories(): [Descriptor, string][] }).getDirectories() as [[Descriptor, string]];
  const sub = dir.openAt({}, 'd', { directory: true }, { read: true });
  assert.equal(sub.getType(), 'directory');
  assert.equal(thrown(() => sub.readViaStream(0n)), 'bad-descriptor');
  const f = dir.openAt({}, 'f', { create: true }, { read: true, write: true });
  const out = f.writeViaStream(0n) as OutputStream;
  out.write(new TextEncoder().encode('abc'));
  assert.equal(new TextDecoder().decode(mem.readFile('f')), 'abc');
  const types = fs.types as Types;
  // A non-filesystem io-error maps to none.
  assert.equal(types.filesystemErrorCode({ toDebugString: () => 'x' } as unknown as IoError), undefined);
  fs.closeAll();
});

/** Host fds this process has open. */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('dropping a descriptor closes its host file; closeAll closes the ones the guest left open', () => {
  const { dir, closeAll } = preopen(false);
  const before = openFds();
  try {
    for (let i = 0; i < 20; i++) dir.openAt({}, 'a.txt', {}, { read: true })[Symbol.dispose]();
    assert.equal(openFds(), before);
    for (let i = 0; i < 5; i++) dir.openAt({}, 'a.txt', {}, { read: true });
    assert.equal(openFds(), before + 5);
  } finally {
    closeAll();
  }
  assert.equal(openFds(), before);
});

test('a stream that outlives its descriptor never reaches the host fd number reused since', () => {
  const { dir, closeAll, root } = preopen(false);
  writeFileSync(join(root, 'victim.txt'), 'victim');
  try {
    const f = dir.openAt({}, 'a.txt', {}, { read: true, write: true });
    const input = f.readViaStream(0n) as InputStream;
    const output = f.writeViaStream(0n) as OutputStream;
    f[Symbol.dispose]();
    // The lowest free fd number (the one just freed) now names another file of the host.
    const other = openSync(join(root, 'victim.txt'), 'r+');
    try {
      const got = thrown(() => input.read(100n));
      assert.notEqual(got, 'no error');
      assert.throws(() => output.write(new TextEncoder().encode('XX')));
      assert.equal(readFileSync(join(root, 'victim.txt'), 'utf8'), 'victim');
    } finally {
      closeSync(other);
    }
  } finally {
    closeAll();
  }
});

test('offsets and sizes past 2^53 are `invalid`, never a host exception or a write elsewhere', () => {
  const { dir, types, closeAll, root } = preopen(false);
  try {
    const f = dir.openAt({}, 'a.txt', {}, { read: true, write: true });
    for (const big of [2n ** 53n, 2n ** 60n, 2n ** 64n - 1n]) {
      assert.equal(thrown(() => f.read(10n, big)), 'invalid');
      assert.equal(thrown(() => f.write(new TextEncoder().encode('X'), big)), 'invalid');
      assert.equal(thrown(() => f.setSize(big)), 'invalid');
      const e = thrown(() => (f.readViaStream(big) as InputStream).read(10n)) as { tag: string; val: IoError };
      assert.equal(e.tag, 'last-operation-failed');
      assert.equal(types.filesystemErrorCode(e.val), 'invalid');
    }
    assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'hello');
  } finally {
    closeAll();
  }
});

test('open-at past maxOpenFds is `insufficient-memory` and takes no host fd; a drop frees a slot', () => {
  const root = mkdtempSync(join(cacheDir, 'cap-'));
  writeFileSync(join(root, 'f'), 'x');
  // 4 in all: the preopen + 3 files (WASI 0.2 stdio are streams, not descriptors).
  const fs = sandboxFs([{ guestPath: '/d', hostPath: root, readOnly: true }], 4);
  const [[dir]] = (fs.preopens as { getDirectories(): [Descriptor, string][] }).getDirectories() as [[Descriptor, string]];
  try {
    const before = openFds();
    const open = () => dir.openAt({}, 'f', {}, { read: true });
    const held = [open(), open(), open()];
    assert.equal(openFds(), before + 3);
    assert.equal(thrown(open), 'insufficient-memory');
    assert.equal(thrown(() => dir.openAt({}, '.', { directory: true }, { read: true })), 'insufficient-memory');
    assert.equal(openFds(), before + 3); // the refused opens never reached the host
    // More handles on the preopen cost nothing: they are the preopen's own entry.
    (fs.preopens as { getDirectories(): unknown[] }).getDirectories();
    held[0]![Symbol.dispose]();
    held[0]![Symbol.dispose](); // a second drop frees nothing more
    held.push(open());
    assert.equal(thrown(open), 'insufficient-memory');
  } finally {
    fs.closeAll();
  }
});

test('a component opening files in a loop gets the host cap, not unbounded growth', async () => {
  const prepared = await prepareComponent(readFileSync(await buildCComponent('test/fixtures/components/c-open-loop/open-loop.c')), { cacheDir });
  const root = mkdtempSync(join(cacheDir, 'loop-'));
  writeFileSync(join(root, 'f'), 'x');
  const run = async (maxOpenFds?: number) => {
    let stdout = '';
    const fdsBefore = openFds();
    const code = await runComponentCommand(prepared, {
      args: ['open-loop', '/d/f'], preopens: [{ guestPath: '/d', hostPath: root, readOnly: true }],
      stdout: callbackSink((b) => { stdout += Buffer.from(b).toString(); }),
      ...(maxOpenFds === undefined ? {} : { maxOpenFds }),
    });
    assert.equal(code, 0);
    assert.equal(openFds(), fdsBefore, 'the run closed every host file it opened');
    return stdout;
  };
  // The preopen holds one slot; the guest gets the rest. wasmlet's p2 host refuses with
  // `insufficient-memory`, which jco's adapter reports as ERRNO_NOMEM (48). The count follows
  // the host's cap, so the host decided (the adapter's own table has 128 slots).
  assert.equal(await run(16), 'opened 15 errno 48\nreopen ok\n');
  assert.equal(await run(40), 'opened 39 errno 48\nreopen ok\n');
});
