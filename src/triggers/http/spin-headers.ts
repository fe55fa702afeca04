// The request headers Spin adds for a `wasi:http` component, which Spin's SDK routers read (the
// JS SDK's `Router.handleRequest` routes on `spin-full-url`; without it every route is a 500): a
// pure function of the request, the route match and the listener. Values and order follow
// spinframework/spin `crates/trigger-http/src/headers.rs` (`compute_default_headers`,
// `prepare_request_headers`) over `crates/routes/src/lib.rs` (`RouteMatch`); the WAGI executor
// passes the same values as CGI variables (cgi-env.ts).
import type { RouteMatch } from './router.ts';

/** What of the request the headers need, as plain data. */
export interface SpinHeaderRequest {
  /** Request target as received: raw path plus optional `?query`. */
  url: string;
  /** The request's authority: its `Host` header, else the listener's `host:port`. */
  authority: string;
  /** Client IP address (`127.0.0.1`, `::1`). */
  remoteAddr: string;
  /** Client TCP port. */
  remotePort: number;
  /** True when served over TLS (the `spin-full-url` scheme is `https`). */
  tls?: boolean;
}

/** The subset of {@link RouteMatch} the headers need. */
export type SpinHeaderRouteMatch = Pick<RouteMatch, 'route' | 'rawParams' | 'trailing'>;

/** Prefix of the one header per `:name` route parameter (`spin-path-match-<name>`). */
export const SPIN_PATH_MATCH_PREFIX = 'spin-path-match-';

/** The names {@link spinRequestHeaders} sets, besides `spin-path-match-*`. */
export const SPIN_HEADER_NAMES: ReadonlySet<string> = new Set([
  'spin-path-info', 'spin-full-url', 'spin-matched-route', 'spin-base-path',
  'spin-raw-component-route', 'spin-component-route', 'spin-client-addr',
]);

/** True for a header name {@link spinRequestHeaders} owns (lower-case `name`). */
export function isSpinHeader(name: string): boolean {
  return SPIN_HEADER_NAMES.has(name) || name.startsWith(SPIN_PATH_MATCH_PREFIX);
}

/**
 * Spin's headers for one request, in Spin's order (lower-case names):
 * - `spin-path-info`: the path after a wildcard route's prefix, still percent-encoded, keeping a
 *   trailing slash (`/static/...` on `/static/a/` gives `/a/`, on `/static/` gives `/`); `` for an
 *   exact route;
 * - `spin-full-url`: `http://<authority><path?query>` (`https` over TLS);
 * - `spin-matched-route`: the route with the app base `/` applied, which drops one trailing
 *   slash (`/foo/...` stays, `/foo/` gives `/foo`, `/` gives ``);
 * - `spin-base-path`: `/` (Spin 2 has no app base);
 * - `spin-raw-component-route`: the route as written (`/foo/:id/...`);
 * - `spin-component-route`: the route without a trailing `/...` (`/foo/:id`; `` for `/...`);
 *   a `/*` wildcard is kept, as Spin keeps it;
 * - `spin-client-addr`: the client socket address, `ip:port` (`[ip]:port` for IPv6);
 * - then `spin-path-match-<name>` per `:name` parameter, its raw value (name lower-cased, `_`
 *   written `-`, as Spin's `prepare_header_key` does).
 */
export function spinRequestHeaders(request: SpinHeaderRequest, match: SpinHeaderRouteMatch): [string, string][] {
  const route = match.route.startsWith('/') ? match.route : `/${match.route}`;
  const ip = request.remoteAddr.includes(':') ? `[${request.remoteAddr}]` : request.remoteAddr;
  const headers: [string, string][] = [
    ['spin-path-info', match.trailing],
    ['spin-full-url', `${request.tls ? 'https' : 'http'}://${request.authority}${request.url}`],
    ['spin-matched-route', route.endsWith('/') ? route.slice(0, -1) : route],
    ['spin-base-path', '/'],
    ['spin-raw-component-route', match.route],
    ['spin-component-route', match.route.endsWith('/...') ? match.route.slice(0, -4) : match.route],
    ['spin-client-addr', `${ip}:${request.remotePort}`],
  ];
  for (const [name, value] of Object.entries(match.rawParams)) {
    headers.push([`${SPIN_PATH_MATCH_PREFIX}${name.toLowerCase().replace(/_/g, '-')}`, value]);
  }
  return headers;
}

/**
 * The guest's request headers: the client's, minus any it sent under a name of
 * {@link spinRequestHeaders} (Spin appends its own after the client's, so a client could make
 * `spin-client-addr` say anything; wasmlet's are the only ones), then Spin's.
 */
export function withSpinHeaders(client: readonly [string, string][], spin: readonly [string, string][]): [string, string][] {
  const headers = client.filter(([name]) => !isSpinHeader(name.toLowerCase()));
  headers.push(...spin);
  return headers;
}
