// `http_request` / `http_status_code` / `http_headers` of the Extism kernel: js-sdk's HttpContext
// (extism/js-sdk src/http-context.ts at v2.0.0-rc13). The request is a JSON block
// `{ url, method?, headers? }` (the PDKs' HttpRequest), the body a second block (ignored for GET
// and HEAD); the response body comes back as a block, its status and headers from the other two.
import type { CallContext } from './call-context.ts';

/** Options of a plugin's HTTP host (plain data besides `fetch`). */
export interface ExtismHttpOptions {
  /** Host globs (`*` any run of characters, `?` one), matched against the URL's hostname. Default []: no request allowed. */
  allowedHosts: readonly string[];
  /** Extism `memory.maxHttpResponseBytes`: a longer body fails the request (logged; 0 returned). */
  maxHttpResponseBytes?: number;
  /** Whether `http_headers` returns the last response's headers (as JSON); default false. */
  allowHttpResponseHeaders?: boolean;
  fetch?: typeof fetch;
}

/** Compiles an allowedHosts glob: `*` is any run of characters, `?` one; case-insensitive. */
export function hostGlob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** The HTTP state of one plugin: the last status code and headers. */
export class ExtismHttp {
  readonly #allowed: RegExp[];
  readonly #options: ExtismHttpOptions;
  #status = 0;
  #headers: Record<string, string> | null;

  constructor(options: ExtismHttpOptions) {
    this.#options = options;
    this.#allowed = options.allowedHosts.map(hostGlob);
    this.#headers = options.allowHttpResponseHeaders ? {} : null;
  }

  /** Whether a request to `hostname` is allowed. */
  allows(hostname: string): boolean {
    return this.#allowed.some((re) => re.test(hostname));
  }

  /** `http_status_code`: the last response's status, 0 before any. */
  statusCode(): number { return this.#status; }

  /** `http_headers`: a block with the last response's headers as JSON, or 0n when not enabled. */
  headers(ctx: CallContext): bigint {
    return this.#headers === null ? 0n : ctx.store(JSON.stringify(this.#headers));
  }

  /**
   * `http_request`: performs the request the block at `reqAddr` describes.
   * @returns the address of the response body block (0n when the request block is not a block,
   *   or the body passed `maxHttpResponseBytes`, which is logged as an error).
   * @throws Error `Call error: HTTP request to "URL" is not allowed (no allowedHosts match "HOST")`
   *   (js-sdk's text; the call rejects with it) for a host no glob matches.
   */
  async request(ctx: CallContext, reqAddr: bigint, bodyAddr: bigint, logError: (message: string) => void): Promise<bigint> {
    if (this.#headers !== null) this.#headers = {};
    this.#status = 0;
    const req = ctx.read(reqAddr);
    if (req === null) return 0n;
    const { headers, header, url: rawUrl, method: m } = req.json() as { url: string; method?: string; headers?: Record<string, string>; header?: Record<string, string> };
    const method = m?.toUpperCase() ?? 'GET';
    const url = new URL(rawUrl);
    if (!this.allows(url.hostname)) {
      throw new Error(`Call error: HTTP request to "${url}" is not allowed (no allowedHosts match "${url.hostname}")`);
    }
    const body = bodyAddr === 0n || method === 'GET' || method === 'HEAD' ? null : ctx.read(bodyAddr)?.bytes();
    const response = await this.#fetchFollowingAllowed(url, method, headers ?? header, body ?? null);
    this.#status = response.status;
    if (this.#headers !== null) this.#headers = Object.fromEntries(response.headers);
    try {
      const max = this.#options.maxHttpResponseBytes;
      const bytes = max ? await readBodyUpTo(response, max) : new Uint8Array(await response.arrayBuffer());
      return ctx.store(bytes);
    } catch (err) {
      logError((err as Error).message);
      return 0n;
    }
  }

  /**
   * Fetches `url`, following redirects as fetch does (303, and 301/302 after a POST, turn into a
   * body-less GET), but checks every hop against `allowedHosts`: js-sdk and Extism's runtime check
   * only the first URL, so an allowed host could redirect a plugin to any other.
   * @throws Error with js-sdk's not-allowed text for a hop no glob matches; `too many redirects`.
   */
  async #fetchFollowingAllowed(url: URL, method: string, headers: Record<string, string> | undefined, body: Uint8Array | null): Promise<Response> {
    const doFetch = this.#options.fetch ?? fetch;
    for (let hop = 0; ; hop++) {
      const response = await doFetch(url.href, { headers, method, redirect: 'manual', ...(body ? { body: body.slice() } : {}) });
      const location = response.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
      if (hop === MAX_REDIRECTS) throw new Error(`Call error: HTTP request to "${url}" redirected more than ${MAX_REDIRECTS} times`);
      await response.body?.cancel();
      const next = new URL(location, url);
      if (!this.allows(next.hostname)) {
        throw new Error(`Call error: HTTP request to "${next}" is not allowed (no allowedHosts match "${next.hostname}")`);
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = null;
      }
      url = next;
    }
  }
}

/** Redirects followed at most (fetch's own limit, WHATWG Fetch "redirect count"). */
const MAX_REDIRECTS = 20;

async function readBodyUpTo(response: Response, maxBytes: number): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    if (received >= maxBytes) {
      await reader.cancel();
      throw new Error(`Response body exceeded ${maxBytes} bytes`);
    }
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}
