// Incremental parser for a CGI response written on a WAGI guest's stdout (RFC 3875 section 6):
// header lines, a blank line, then the body. The head is returned as soon as the blank line
// arrives, so the server can start the response and stream the rest of stdout as the body.
import { WasmletError } from '../../util/errors.ts';

/** Why a CGI response was rejected. */
export type CgiResponseErrorReason =
  | 'empty-output' // nothing at all on stdout
  | 'no-blank-line' // EOF inside the header block with lines that are not headers
  | 'malformed-header' // a header line without `:`, with a bad name, or a control character
  | 'invalid-status' // `Status:` not a 3-digit code 100..599
  | 'header-too-large' // header block over the limit
  | 'no-content-type'; // none of Content-Type, Location, Status

/** A guest wrote an invalid CGI response; the server answers 502 and logs `reason` and `message`. */
export class CgiResponseError extends WasmletError {
  readonly reason: CgiResponseErrorReason;

  constructor(reason: CgiResponseErrorReason, message: string) {
    super('WASMLET_ERR_CGI_RESPONSE', `invalid CGI response (${reason}): ${message}`, { blame: 'guest' });
    this.reason = reason;
  }
}

/** The parsed head of a CGI response. */
export interface CgiHead {
  /** From `Status:`, else 302 with a Location, else 200. */
  status: number;
  /** The reason phrase after the code in `Status:`, if any. */
  statusText?: string;
  /** Response header fields in order (names as written), without `Status`. */
  headers: [string, string][];
  /**
   * Set when `Location` is a local path (`/x`, not `//host`): RFC 3875 6.2.2 lets the server
   * answer it internally instead of sending a redirect. `status` is still 302 unless the guest gave
   * one, which is what Spin sends.
   */
  localRedirect?: string;
  /** Body bytes that arrived in the same chunk as the end of the header block (may be empty). */
  bodyStart: Uint8Array;
}

/** Default cap on the header block, in bytes (the blank line included). */
export const CGI_MAX_HEADER_BYTES = 64 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Feed stdout chunks to {@link push} until it returns the head; every later chunk is body and goes
 * straight to the client. At EOF call {@link end}: it returns the head when stdout ended inside a
 * header block that is complete headers (a response with no body and no final blank line).
 *
 * Lines end with LF or CRLF. Lines starting with a space or tab continue the previous field
 * (obsolete folding). Following Spin, a response needs Content-Type, Location or Status, so output
 * that is only a body (no headers) is rejected; duplicate fields are kept, except that a later
 * Content-Type/Location/Status replaces an earlier one.
 */
export class CgiResponseParser {
  readonly #maxHeaderBytes: number;
  #chunks: Uint8Array[] = [];
  #length = 0;
  #lineStart = 0; // offset of the current line in the concatenated header bytes
  #done = false;
  #sawAny = false;

  constructor(options: { maxHeaderBytes?: number } = {}) {
    this.#maxHeaderBytes = options.maxHeaderBytes ?? CGI_MAX_HEADER_BYTES;
  }

  /** True once the head was returned (or an error thrown): stop calling push. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Feeds the next stdout chunk. Returns the head when the blank line ending the header block is
   * in this chunk, else null.
   * @param borrowed true when `chunk` is valid only during this call (a view of guest memory): the
   *   parser then copies it only if it must keep it (the head is not complete yet), and the
   *   returned `bodyStart` may be a view of it, to be consumed before the guest runs on. A head
   *   written in one `fd_write`, the usual case, then costs no copy (an ArrayBuffer per request).
   * @throws CgiResponseError on a malformed head; Error if called after the head was returned.
   */
  push(chunk: Uint8Array, borrowed = false): CgiHead | null {
    if (this.#done) throw new Error('CgiResponseParser.push called after the head was complete');
    if (chunk.length === 0) return null;
    this.#sawAny = true;
    const base = this.#length;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== LF) continue;
      const lfAt = base + i;
      const lineLength = lfAt - this.#lineStart;
      const blank = lineLength === 0 || (lineLength === 1 && this.#byteAt(this.#lineStart) === CR);
      if (blank) {
        if (lfAt + 1 > this.#maxHeaderBytes) this.#tooLarge();
        const all = this.#concat();
        return this.#finish(all.subarray(0, this.#lineStart), all.subarray(lfAt + 1));
      }
      this.#lineStart = lfAt + 1;
    }
    if (this.#length > this.#maxHeaderBytes) this.#tooLarge();
    if (borrowed) this.#chunks[this.#chunks.length - 1] = chunk.slice();
    return null;
  }

  /**
   * Signals EOF. Returns the head when stdout held only header lines without the final blank line;
   * throws otherwise.
   * @throws CgiResponseError `empty-output`, `no-blank-line`, or any head error.
   */
  end(): CgiHead {
    if (this.#done) throw new Error('CgiResponseParser.end called after the head was complete');
    if (!this.#sawAny) {
      this.#done = true;
      throw new CgiResponseError('empty-output', 'the guest wrote nothing to stdout; a WAGI guest must print '
        + 'headers (at least Content-Type), a blank line, then the body');
    }
    const all = this.#concat();
    try {
      return this.#finish(all, new Uint8Array(0));
    } catch (err) {
      if (err instanceof CgiResponseError && err.reason === 'malformed-header') {
        throw new CgiResponseError('no-blank-line', `stdout ended without the blank line that ends the headers, `
          + `and it is not all header lines (${err.message.replace(/^invalid CGI response \(malformed-header\): /, '')})`);
      }
      throw err;
    }
  }

  #byteAt(offset: number): number {
    let o = offset;
    for (const c of this.#chunks) {
      if (o < c.length) return c[o]!;
      o -= c.length;
    }
    return -1;
  }

  #concat(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const out = new Uint8Array(this.#length);
    let o = 0;
    for (const c of this.#chunks) { out.set(c, o); o += c.length; }
    this.#chunks = [out];
    return out;
  }

  #tooLarge(): never {
    this.#done = true;
    throw new CgiResponseError('header-too-large', `the header block is longer than ${this.#maxHeaderBytes} bytes `
      + '(or the guest printed a body without headers)');
  }

  #finish(headerBytes: Uint8Array, bodyStart: Uint8Array): CgiHead {
    this.#done = true;
    this.#chunks = [];
    return parseHead(headerBytes, bodyStart);
  }
}

function show(line: string): string {
  const cut = line.length > 60 ? `${line.slice(0, 60)}…` : line;
  return JSON.stringify(cut);
}

/** Parses a complete header block (without the blank line). */
function parseHead(bytes: Uint8Array, bodyStart: Uint8Array): CgiHead {
  // latin1 keeps every byte as one char; header values are bytes, not UTF-8 text.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.at(-1) === '') lines.pop();
  const fields: [string, string][] = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      const last = fields.at(-1)!;
      last[1] = `${last[1]} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      throw new CgiResponseError('malformed-header', `header line ${show(line)} has no ':'; print headers like `
        + '"Content-Type: text/plain", then a blank line, then the body');
    }
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new CgiResponseError('malformed-header', `invalid header name ${show(name)}`);
    const value = line.slice(colon + 1).trim();
    if (/[\0-\x08\x0a-\x1f\x7f]/.test(value)) {
      throw new CgiResponseError('malformed-header', `header ${name} has a control character in its value`);
    }
    fields.push([name, value]);
  }

  let status: number | undefined;
  let statusText: string | undefined;
  let location: string | undefined;
  let sufficient = false;
  const headers: [string, string][] = [];
  const single = new Map<string, number>(); // content-type / location: index in headers
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const m = /^(\d{3})(?:\s+(.*))?$/.exec(value);
      const code = m ? Number(m[1]) : NaN;
      if (!m || code < 100 || code > 599) {
        throw new CgiResponseError('invalid-status', `Status ${show(value)} is not a code 100..599 (e.g. "Status: 404 Not Found")`);
      }
      status = code;
      statusText = m[2] || undefined;
      sufficient = true;
      continue;
    }
    if (lower === 'content-type' || lower === 'location') {
      sufficient = true;
      if (lower === 'location') location = value;
      const at = single.get(lower);
      if (at !== undefined) { headers[at] = [name, value]; continue; }
      single.set(lower, headers.length);
    }
    headers.push([name, value]);
  }
  if (!sufficient) {
    throw new CgiResponseError('no-content-type', 'the response has none of Content-Type, Location or Status; '
      + 'print e.g. "Content-Type: text/plain" and a blank line before the body');
  }
  const head: CgiHead = { status: status ?? (location !== undefined ? 302 : 200), headers, bodyStart };
  if (statusText !== undefined) head.statusText = statusText;
  if (location !== undefined && location.startsWith('/') && !location.startsWith('//')) head.localRedirect = location;
  return head;
}
