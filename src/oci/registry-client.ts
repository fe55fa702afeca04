// A small client for the OCI distribution API (opencontainers/distribution-spec `spec.md`), with
// Node's fetch. Section names in the docstrings are the spec's. Blobs stream to and from disk.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WasmletError } from '../util/errors.ts';
import type { Credentials } from './credentials.ts';
import { digestOf } from './digest.ts';
import { MANIFEST_ACCEPT } from './media-types.ts';
import type { Descriptor } from './media-types.ts';
import { isLoopbackRegistry } from './reference.ts';
import { parseChallenge } from './www-authenticate.ts';
import type { Challenge } from './www-authenticate.ts';

/** What a request sends: bytes or a stream. */
type RequestBody = Uint8Array<ArrayBuffer> | ReadableStream;

/** Called as bytes move: `done` of `total` bytes of one blob. */
export type ProgressFn = (done: number, total: number) => void;

/** Options of a {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Speak plain HTTP to a registry that is not on loopback (loopback always is plain HTTP). */
  insecure?: boolean;
  /** Basic credentials, also sent to the bearer token endpoint; absent: anonymous. */
  credentials?: Credentials;
}

/** A fetched manifest: its exact bytes (the digest is over them), digest and media type. */
export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

interface RequestInit2 {
  headers?: Record<string, string>;
  /** Called for each attempt (a stream can be read once; the auth retry needs a new one). */
  body?: () => RequestBody;
  /** `repository:<name>:pull` or `...:pull,push`: asked of the token endpoint when the challenge names none. */
  scope: string;
}

/**
 * One registry and repository. Authentication follows the distribution token spec: a request is
 * sent (anonymously, or with the header that worked last); on `401` the `WWW-Authenticate`
 * challenge decides: `Basic` retries with the credentials, `Bearer realm,service,scope` fetches a
 * token from `realm` (with the credentials, if any) and retries with `Authorization: Bearer`.
 * Scheme: `http://` for loopback registries (127.0.0.0/8, localhost, [::1]) or `insecure`, else
 * `https://`.
 */
export class RegistryClient {
  readonly registry: string;
  readonly repository: string;
  readonly baseUrl: string;
  #credentials: Credentials | undefined;
  #authorization: string | undefined;

  constructor(registry: string, repository: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.repository = repository;
    this.baseUrl = `${options.insecure || isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}`;
    this.#credentials = options.credentials;
  }

  #scope(push: boolean): string {
    return `repository:${this.repository}:${push ? 'pull,push' : 'pull'}`;
  }

  async #send(method: string, url: string, init: RequestInit2, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (authorization) headers['authorization'] = authorization;
    const body = init.body?.();
    try {
      return await fetch(url, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new WasmletError('WASMLET_ERR_REGISTRY', `cannot reach registry ${this.registry} (${url}): ${why}`
        + (url.startsWith('https:') ? ' — for a plain-HTTP registry that is not on loopback, pass --insecure' : ' — is it running?'),
      { cause: err });
    }
  }

  /** Fetches a bearer token for `challenge` (token spec "Requesting a Token"). */
  async #token(challenge: Challenge, scope: string): Promise<string> {
    const realm = challenge.params['realm'];
    if (!realm) throw new WasmletError('WASMLET_ERR_REGISTRY_AUTH', `registry ${this.registry} asked for a bearer token but named no realm`);
    const url = new URL(realm);
    if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
    url.searchParams.set('scope', challenge.params['scope'] ?? scope);
    const headers: Record<string, string> = {};
    if (this.#credentials) headers['authorization'] = basic(this.#credentials);
    let res: Response;
    try { res = await fetch(url, { headers }); } catch (err) {
      throw new WasmletError('WASMLET_ERR_REGISTRY', `cannot reach the token service ${url.origin} of registry ${this.registry}: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 401 || res.status === 403) {
      throw this.#authError(`the token service ${url.origin} refused`);
    }
    if (!res.ok) throw new WasmletError('WASMLET_ERR_REGISTRY', `the token service ${url.origin} of registry ${this.registry} answered ${res.status}`);
    const json = await res.json() as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new WasmletError('WASMLET_ERR_REGISTRY', `the token service ${url.origin} of registry ${this.registry} returned no token`);
    return `Bearer ${token}`;
  }

  #authError(what: string): WasmletError {
    const who = this.#credentials
      ? `the credentials of user '${this.#credentials.username}' — check them and run \`wasmlet registry login ${this.registry}\` again`
      : `anonymous access — run \`wasmlet registry login ${this.registry} -u USER --password-stdin\` (or docker login)`;
    return new WasmletError('WASMLET_ERR_REGISTRY_AUTH', `${what} ${who}`, { blame: 'user' });
  }

  /** Sends a request, answering one 401 challenge (token spec "How to authenticate"). */
  async #request(method: string, pathOrUrl: string, init: RequestInit2): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
    let res = await this.#send(method, url, init, this.#authorization);
    if (res.status !== 401) return res;
    await res.body?.cancel();
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    if (challenge?.scheme === 'basic') {
      if (!this.#credentials) throw this.#authError(`registry ${this.registry} requires a login for ${method} ${new URL(url).pathname}; it refused`);
      this.#authorization = basic(this.#credentials);
    } else if (challenge?.scheme === 'bearer') {
      this.#authorization = await this.#token(challenge, init.scope);
    } else {
      throw this.#authError(`registry ${this.registry} answered 401 without a usable challenge to`);
    }
    res = await this.#send(method, url, init, this.#authorization);
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.#authError(`registry ${this.registry} refused ${method} ${new URL(url).pathname} (${res.status}) with`);
    }
    return res;
  }

  /** Reads an error body (spec "Error Codes": `{"errors":[{code,message}]}`) into one line. */
  async #fail(res: Response, what: string): Promise<never> {
    let detail = '';
    try {
      const text = await res.text();
      try {
        const json = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
        detail = (json.errors ?? []).map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`).join('; ');
      } catch { detail = text.slice(0, 200).trim(); }
    } catch { /* no body */ }
    if (res.status === 403) throw this.#authError(`registry ${this.registry} forbade ${what} (403${detail ? `: ${detail}` : ''}) for`);
    throw new WasmletError('WASMLET_ERR_REGISTRY', `registry ${this.registry}: ${what} failed: ${res.status} ${res.statusText}${detail ? ` (${detail})` : ''}`);
  }

  /**
   * `GET /v2/` (spec "Determining support", end-1): checks that the registry speaks the API and
   * that the credentials (if any) are accepted.
   * @throws WasmletError `WASMLET_ERR_REGISTRY_AUTH` when they are refused; `WASMLET_ERR_REGISTRY`
   *   when the registry cannot be reached or does not answer 200.
   */
  async ping(): Promise<void> {
    const res = await this.#request('GET', '/v2/', { scope: this.#scope(false) });
    if (res.status !== 200) await this.#fail(res, 'GET /v2/');
    await res.body?.cancel();
  }

  /** `HEAD /v2/<name>/blobs/<digest>` (spec "Checking if content exists in the registry", end-2). */
  async hasBlob(digest: string, push = false): Promise<boolean> {
    const res = await this.#request('HEAD', `/v2/${this.repository}/blobs/${digest}`, { scope: this.#scope(push) });
    await res.body?.cancel();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    return this.#fail(res, `HEAD blob ${digest}`);
  }

  /**
   * Uploads a blob monolithically: `POST /v2/<name>/blobs/uploads/` (202 + `Location`), then
   * `PUT <location>?digest=<digest>` with the whole content (spec "Pushing a blob monolithically",
   * "POST then PUT", end-4a and end-6). `source` is a file path (streamed) or the bytes.
   * @throws WasmletError `WASMLET_ERR_REGISTRY` when the registry refuses the upload (e.g. a
   *   digest mismatch: `DIGEST_INVALID`).
   */
  async pushBlob(desc: { digest: string; size: number }, source: string | Uint8Array, onProgress?: ProgressFn): Promise<void> {
    const scope = this.#scope(true);
    const start = await this.#request('POST', `/v2/${this.repository}/blobs/uploads/`, { scope });
    if (start.status !== 202) await this.#fail(start, 'starting a blob upload');
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location) throw new WasmletError('WASMLET_ERR_REGISTRY', `registry ${this.registry} gave no Location for the blob upload`);
    const url = new URL(location, this.baseUrl);
    url.searchParams.set('digest', desc.digest);
    const body = (): RequestBody => {
      if (typeof source !== 'string') { onProgress?.(source.length, desc.size); return source as Uint8Array<ArrayBuffer>; }
      let done = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) { done += chunk.length; onProgress?.(done, desc.size); cb(null, chunk); },
      });
      return Readable.toWeb(createReadStream(source, { highWaterMark: 1 << 20 }).pipe(counter)) as ReadableStream;
    };
    const res = await this.#request('PUT', url.href, {
      scope, body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
    });
    if (res.status !== 201) await this.#fail(res, `uploading blob ${desc.digest}`);
    await res.body?.cancel();
  }

  /**
   * `GET /v2/<name>/blobs/<digest>` (spec "Pulling blobs", end-2), streamed into a temporary file
   * beside `dest` while hashing; renamed to `dest` only when the sha256 and size match, so `dest`
   * is never half-written. `label` names the blob in errors (`layer 2 (application/wasm)`).
   * @throws WasmletError `WASMLET_ERR_DIGEST_MISMATCH` naming `label`, the expected and the actual
   *   digest; `WASMLET_ERR_REGISTRY` for a failed request.
   */
  async pullBlob(desc: Descriptor, dest: string, label: string, onProgress?: ProgressFn): Promise<void> {
    const res = await this.#request('GET', `/v2/${this.repository}/blobs/${desc.digest}`, { scope: this.#scope(false) });
    if (res.status !== 200) await this.#fail(res, `GET blob ${desc.digest} (${label})`);
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.part`;
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; onProgress?.(size, desc.size); cb(null, chunk); },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), tap, createWriteStream(tmp));
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== desc.digest) {
        throw new WasmletError('WASMLET_ERR_DIGEST_MISMATCH',
          `${label} from ${this.registry}/${this.repository} does not match its digest: expected ${desc.digest}, got ${actual} (${size} bytes) — the registry's copy is corrupt or was tampered with; nothing was written`);
      }
      if (size !== desc.size) {
        throw new WasmletError('WASMLET_ERR_DIGEST_MISMATCH', `${label}: the manifest says ${desc.size} bytes, the blob ${desc.digest} has ${size}`);
      }
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * `GET /v2/<name>/manifests/<reference>` with `Accept` listing the OCI and Docker manifest and
   * index types (spec "Pulling manifests", end-3). When `reference` is a digest the bytes are
   * checked against it.
   * @throws WasmletError `WASMLET_ERR_REGISTRY` (404: no such tag), `WASMLET_ERR_DIGEST_MISMATCH`.
   */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.#request('GET', `/v2/${this.repository}/manifests/${reference}`, {
      scope: this.#scope(false), headers: { accept: MANIFEST_ACCEPT },
    });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new WasmletError('WASMLET_ERR_REGISTRY', `${this.registry}/${this.repository}:${reference} not found (no such repository, tag or digest)`, { blame: 'user' });
    }
    if (res.status !== 200) await this.#fail(res, `GET manifest ${reference}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = digestOf(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new WasmletError('WASMLET_ERR_DIGEST_MISMATCH', `manifest ${this.repository}@${reference} does not match its digest: got ${digest}`);
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { bytes, digest, mediaType };
  }

  /**
   * `PUT /v2/<name>/manifests/<reference>` (spec "Pushing Manifests", end-7). Every blob it names
   * must already be in the repository.
   * @returns the manifest's digest (sha256 of `bytes`).
   */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const res = await this.#request('PUT', `/v2/${this.repository}/manifests/${reference}`, {
      scope: this.#scope(true), headers: { 'content-type': mediaType }, body: () => bytes as Uint8Array<ArrayBuffer>,
    });
    if (res.status !== 201) await this.#fail(res, `PUT manifest ${reference}`);
    await res.body?.cancel();
    return digestOf(bytes);
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
