import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CgiResponseError, CgiResponseParser, type CgiHead, type CgiResponseErrorReason } from './cgi-response.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `chunks`; returns the head and the whole body (bodyStart + the chunks after the head). */
function run(chunks: Uint8Array[], maxHeaderBytes?: number): { head: CgiHead; body: string } {
  const p = new CgiResponseParser(maxHeaderBytes === undefined ? {} : { maxHeaderBytes });
  let head: CgiHead | null = null;
  const body: Uint8Array[] = [];
  for (const c of chunks) {
    if (head) { body.push(c); continue; }
    head = p.push(c);
    if (head) body.push(head.bodyStart);
  }
  head ??= p.end();
  return { head, body: dec.decode(Buffer.concat(body)) };
}

function splits(text: string): Uint8Array[][] {
  const bytes = enc.encode(text);
  const out: Uint8Array[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => Uint8Array.of(b))); // one byte at a time
  return out;
}

test('a full response parses the same at every split point (LF and CRLF)', () => {
  for (const nl of ['\n', '\r\n']) {
    const text = `Content-Type: text/html${nl}X-A: 1${nl}X-A: 2${nl}Status: 404 Not Found${nl}${nl}<h1>nope</h1>${nl}`;
    for (const chunks of splits(text)) {
      const { head, body } = run(chunks);
      assert.equal(head.status, 404);
      assert.equal(head.statusText, 'Not Found');
      assert.deepEqual(head.headers, [['Content-Type', 'text/html'], ['X-A', '1'], ['X-A', '2']]);
      assert.equal(body, `<h1>nope</h1>${nl}`);
    }
  }
});

test('the head is returned as soon as the blank line arrives, before the body ends', () => {
  const p = new CgiResponseParser();
  assert.equal(p.push(enc.encode('Content-Type: text/plain\n')), null);
  const head = p.push(enc.encode('\nhello'));
  assert.ok(head);
  assert.equal(head.status, 200);
  assert.equal(dec.decode(head.bodyStart), 'hello');
  assert.equal(p.done, true);
  assert.throws(() => p.push(enc.encode('more')), /after the head/);
});

test('borrowed chunks (guest memory) are copied only when kept: reusing the buffer after push changes nothing', () => {
  for (const nl of ['\n', '\r\n']) {
    const text = `Content-Type: text/html${nl}X-A: 1${nl}Status: 404 Not Found${nl}${nl}<h1>nope</h1>`;
    for (const chunks of splits(text)) {
      const p = new CgiResponseParser();
      const scratch = new Uint8Array(text.length); // one buffer for every write, as guest memory is
      let head: CgiHead | null = null;
      for (const c of chunks) {
        scratch.set(c);
        head = p.push(scratch.subarray(0, c.length), true);
        if (head) break;
        scratch.fill(0x21); // the guest overwrites its buffer before the next write
      }
      assert.ok(head);
      assert.equal(head.status, 404);
      assert.deepEqual(head.headers, [['Content-Type', 'text/html'], ['X-A', '1']]);
      assert.equal(dec.decode(head.bodyStart), `<h1>nope</h1>`.slice(0, head.bodyStart.length));
    }
  }
});

test('Location: client redirect is 302 unless Status is given; local paths are flagged', () => {
  let { head } = run([enc.encode('Location: https://example.com/x\n\n')]);
  assert.equal(head.status, 302);
  assert.equal(head.localRedirect, undefined);
  assert.deepEqual(head.headers, [['Location', 'https://example.com/x']]);
  ({ head } = run([enc.encode('Location: /other\n\n')]));
  assert.equal(head.status, 302);
  assert.equal(head.localRedirect, '/other');
  ({ head } = run([enc.encode('Status: 301\nLocation: //host/x\n\n')]));
  assert.equal(head.status, 301);
  assert.equal(head.statusText, undefined);
  assert.equal(head.localRedirect, undefined);
});

test('Status alone is sufficient (as in Spin); folded lines continue the previous field', () => {
  let { head, body } = run([enc.encode('Status: 204 No Content\n\n')]);
  assert.equal(head.status, 204);
  assert.equal(body, '');
  ({ head } = run([enc.encode('Content-Type: text/plain;\n  charset=utf-8\n\n')]));
  assert.deepEqual(head.headers, [['Content-Type', 'text/plain; charset=utf-8']]);
});

test('later Content-Type replaces the earlier one in place', () => {
  const { head } = run([enc.encode('Content-Type: a/b\nX: 1\ncontent-type: c/d\n\n')]);
  assert.deepEqual(head.headers, [['content-type', 'c/d'], ['X', '1']]);
});

test('headers only, EOF without the blank line: accepted with an empty body', () => {
  for (const text of ['Content-Type: text/plain\n', 'Content-Type: text/plain']) {
    for (const chunks of splits(text)) {
      const { head, body } = run(chunks);
      assert.deepEqual(head.headers, [['Content-Type', 'text/plain']]);
      assert.equal(body, '');
    }
  }
});

test('header bytes are kept as latin1 (one char per byte)', () => {
  const { head } = run([Uint8Array.of(...enc.encode('Content-Type: t/p\nX-B: '), 0xe9, 0x0a, 0x0a)]);
  assert.deepEqual(head.headers[1], ['X-B', '\u00e9']);
});

function rejects(text: string | Uint8Array, reason: CgiResponseErrorReason, maxHeaderBytes?: number): void {
  const chunksList = typeof text === 'string' ? splits(text) : [[text]];
  for (const chunks of chunksList) {
    assert.throws(() => run(chunks, maxHeaderBytes), (err: unknown) => {
      assert.ok(err instanceof CgiResponseError, String(err));
      assert.equal(err.reason, reason, err.message);
      assert.equal(err.code, 'WASMLET_ERR_CGI_RESPONSE');
      assert.equal(err.blame, 'guest');
      return true;
    }, JSON.stringify(typeof text === 'string' ? text : 'bytes'));
  }
}

test('malformed responses are rejected with a reason', () => {
  rejects(new Uint8Array(0), 'empty-output');
  rejects('hello world', 'no-blank-line'); // a body printed without headers (Spin rejects it too)
  rejects('Content-Type: text/plain\nhello', 'no-blank-line');
  rejects('Content-Type: text/plain\nthis is not a header\n\nbody', 'malformed-header');
  rejects('hello world\n\nbody', 'malformed-header');
  rejects('Bad Name: x\n\n', 'malformed-header');
  rejects(': x\nContent-Type: a/b\n\n', 'malformed-header');
  rejects('Status: 99\nContent-Type: a/b\n\n', 'invalid-status');
  rejects('Status: 600\n\n', 'invalid-status');
  rejects('Status: abc\n\n', 'invalid-status');
  rejects('X-Only: 1\n\nbody', 'no-content-type');
  rejects('\nbody', 'no-content-type');
  rejects('\r\nbody', 'no-content-type');
});

test('a header block over the limit is rejected, even split across writes', () => {
  const big = `Content-Type: text/plain\nX-Big: ${'a'.repeat(200)}\n\nbody`;
  rejects(big, 'header-too-large', 100);
  assert.equal(run([enc.encode(big)], 300).body, 'body'); // under the limit: fine
  // Default limit: 64 KiB of header lines without a blank line.
  const p = new CgiResponseParser();
  const line = enc.encode(`X: ${'b'.repeat(1020)}\n`);
  assert.throws(() => { for (let i = 0; i < 100; i++) p.push(line); },
    (err: unknown) => err instanceof CgiResponseError && err.reason === 'header-too-large');
  // A large body after a small head is not limited.
  const { body } = run([enc.encode(`Content-Type: a/b\n\n${'z'.repeat(100_000)}`)]);
  assert.equal(body.length, 100_000);
});
