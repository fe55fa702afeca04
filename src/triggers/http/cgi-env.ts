// CGI meta-variables for a WAGI guest: a pure function of the request, the route match and the
// server address. RFC 3875 section 4.1, plus the extras Spin's WAGI executor sets
// (`crates/trigger-http/src/wagi.rs`, `headers.rs`, and deislabs/wagi `http_util`).
import type { RouteMatch } from './router.ts';
import { DEFAULT_WAGI_ARGV } from '../../app/locked-app.ts';

export { DEFAULT_WAGI_ARGV };

/** The request as received, as plain data. */
export interface CgiRequest {
  method: string;
  /** Request target as received: raw path plus optional `?query` (`/a%20b?x=1`). */
  url: string;
  /** Header fields in arrival order; names in any case; repeated names allowed. */
  headers: readonly (readonly [string, string])[];
  /** Client IP address (`127.0.0.1`, `::1`). */
  remoteAddr: string;
  remotePort?: number;
  /** `1.1`, `2.0` (Node's `req.httpVersion`) or `HTTP/1.1`. */
  httpVersion: string;
  /** Length of the request body in bytes after transfer decoding; defaults to Content-Length, else 0. */
  bodyLength?: number;
}

/** Where the server listens. */
export interface CgiServer {
  /** Used for SERVER_NAME when the request has no Host header. */
  host: string;
  port: number;
  /** True when served over TLS (X_FULL_URL scheme `https`). */
  tls?: boolean;
  /** SERVER_SOFTWARE; defaults to `WAGI/1`, what Spin and WAGI report. */
  software?: string;
}

/** The subset of {@link RouteMatch} the environment needs. */
export type CgiRouteMatch = Pick<RouteMatch, 'route' | 'params' | 'matchedPrefix' | 'trailing' | 'matchedPath'>;

/**
 * Header fields never passed as `HTTP_*`: credentials (RFC 3875 4.1.18 says the server SHOULD drop
 * them), `Connection` (hop-by-hop; Spin drops it too) and `Proxy`, which would become HTTP_PROXY,
 * the outbound proxy setting of many HTTP clients ("httpoxy", CVE-2016-5385).
 */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'connection', 'proxy']);

function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  try { return decodeURIComponent(s); } catch { /* a bad escape: decode the rest byte-wise */ }
  // Spin decodes with `decode_utf8_lossy`; decodeURIComponent throws on bad escapes, so decode
  // byte-wise and let TextDecoder substitute U+FFFD.
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...encoder.encode(s[i]!));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Splits a Host header (`example.com:8080`, `[::1]:3000`) into name and port. */
function splitHost(host: string): { name: string; port: string | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  if (!m) return { name: host, port: undefined };
  return { name: m[1]!, port: m[2] || undefined };
}

/** `HTTP_` + the field name upper-cased with `-` as `_` (RFC 3875 4.1.18). */
export function cgiHeaderName(field: string): string {
  return `HTTP_${field.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Builds the CGI environment of one WAGI invocation.
 *
 * RFC 3875 variables: AUTH_TYPE (always empty: wasmlet does no HTTP authentication),
 * CONTENT_LENGTH (always set, `0` without a body, as Spin does), CONTENT_TYPE (empty when absent),
 * GATEWAY_INTERFACE `CGI/1.1`, PATH_INFO (the part of the path after the route's prefix,
 * percent-decoded; `` for exact routes), PATH_TRANSLATED (same as PATH_INFO, as in WAGI: there is no
 * document root), QUERY_STRING (raw), REMOTE_ADDR, REMOTE_HOST (= REMOTE_ADDR, no reverse DNS),
 * REMOTE_USER (empty), REQUEST_METHOD, SCRIPT_NAME (the decoded path up to PATH_INFO, so
 * SCRIPT_NAME + PATH_INFO is the whole path; Spin puts the route pattern here, which differs only
 * for routes with `:params`), SERVER_NAME / SERVER_PORT (from Host, else `server`),
 * SERVER_PROTOCOL (`HTTP/1.1`), SERVER_SOFTWARE.
 *
 * Header fields become `HTTP_*`; repeated fields are joined with `, ` (`; ` for Cookie), as RFC 3875
 * 4.1.18 asks. Dropped: Authorization, Proxy-Authorization, Connection, Proxy (httpoxy), and any
 * field whose name contains `_` (it would be indistinguishable from the `-` spelling: nginx drops
 * them for the same reason).
 *
 * Spin/WAGI extras: X_FULL_URL (`scheme://host[:port]/path?query`), X_RAW_PATH_INFO (PATH_INFO
 * before decoding), X_MATCHED_ROUTE and X_RAW_COMPONENT_ROUTE (the route as written),
 * X_COMPONENT_ROUTE (the route without `/...`), X_BASE_PATH (`/`), X_CLIENT_ADDR (`ip:port`), and one
 * X_PATH_MATCH_<NAME> per `:name` route parameter (decoded; Spin's name for them in WAGI; its
 * wasi-http executor sends the same as `spin-path-match-<name>` headers).
 */
export function cgiEnv(request: CgiRequest, match: CgiRouteMatch, server: CgiServer): Record<string, string> {
  const env: Record<string, string> = {};
  const q = request.url.indexOf('?');
  const query = q < 0 ? '' : request.url.slice(q + 1);

  let hostHeader: string | undefined;
  let contentType = '';
  let contentLength: string | undefined;
  // Straight into `env` (only HTTP_* keys so far, none of them on Object.prototype): a Map to join
  // repeated fields first cost the main thread more than the join itself.
  for (const [rawName, rawValue] of request.headers) {
    const name = rawName.toLowerCase();
    const value = rawValue.replace(/[\0\r\n]/g, ' ').trim();
    if (name === 'host') hostHeader ??= value;
    if (name === 'content-type') contentType = value;
    if (name === 'content-length') contentLength = value;
    if (DROPPED_HEADERS.has(name) || name.includes('_')) continue;
    const key = cgiHeaderName(name);
    const prior = env[key];
    env[key] = prior === undefined ? value : `${prior}${name === 'cookie' ? '; ' : ', '}${value}`;
  }

  const { name: hostName, port: hostPort } = splitHost(hostHeader ?? '');
  const serverName = hostName || server.host;
  const serverPort = hostPort ?? String(server.port);
  const scheme = server.tls ? 'https' : 'http';
  const authority = hostHeader || `${server.host.includes(':') && !server.host.startsWith('[') ? `[${server.host}]` : server.host}:${server.port}`;
  const pathInfo = percentDecode(match.trailing);
  const version = request.httpVersion.startsWith('HTTP/') ? request.httpVersion : `HTTP/${request.httpVersion}`;
  const bodyLength = request.bodyLength ?? (contentLength && /^\d+$/.test(contentLength) ? Number(contentLength) : 0);
  const componentRoute = match.route.replace(/\/(\.\.\.|\*)$/, '');

  // Assigned one by one rather than Object.assign of a literal: no second object per request.
  env.AUTH_TYPE = '';
  env.CONTENT_LENGTH = String(bodyLength);
  env.CONTENT_TYPE = contentType;
  env.GATEWAY_INTERFACE = 'CGI/1.1';
  env.PATH_INFO = pathInfo;
  env.PATH_TRANSLATED = pathInfo;
  env.QUERY_STRING = query;
  env.REMOTE_ADDR = request.remoteAddr;
  env.REMOTE_HOST = request.remoteAddr;
  env.REMOTE_USER = '';
  env.REQUEST_METHOD = request.method.toUpperCase();
  env.SCRIPT_NAME = percentDecode(match.matchedPath);
  env.SERVER_NAME = serverName;
  env.SERVER_PORT = serverPort;
  env.SERVER_PROTOCOL = version;
  env.SERVER_SOFTWARE = server.software ?? 'WAGI/1';
  env.X_FULL_URL = `${scheme}://${authority}${request.url}`;
  env.X_RAW_PATH_INFO = match.trailing;
  env.X_MATCHED_ROUTE = match.route;
  env.X_COMPONENT_ROUTE = componentRoute === '' ? '/' : componentRoute;
  env.X_RAW_COMPONENT_ROUTE = match.route;
  env.X_BASE_PATH = '/';
  if (request.remotePort !== undefined) {
    const ip = request.remoteAddr.includes(':') ? `[${request.remoteAddr}]` : request.remoteAddr;
    env.X_CLIENT_ADDR = `${ip}:${request.remotePort}`;
  }
  for (const [name, value] of Object.entries(match.params)) {
    env[`X_PATH_MATCH_${name.toUpperCase()}`] = value;
  }
  return env;
}


/**
 * The argv of a WAGI guest, as Spin builds it: the template (default `${SCRIPT_NAME} ${ARGS}`) with
 * `${SCRIPT_NAME}` replaced by the raw request path and `${ARGS}` by the raw query with `&` turned
 * into spaces, then split on single spaces. Like Spin, an empty query leaves a trailing empty
 * argument (`['/path', '']`).
 */
export function cgiArgv(url: string, template: string = DEFAULT_WAGI_ARGV): string[] {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const args = q < 0 ? '' : url.slice(q + 1).replace(/&/g, ' ');
  // Function replacers: a `$&` in the path must stay literal.
  return template.replaceAll('${SCRIPT_NAME}', () => path).replaceAll('${ARGS}', () => args).split(' ');
}
