// The request target of an HTTP/1.1 request line in absolute form (`GET http://host/path HTTP/1.1`,
// what a client sends to a proxy, and what every HTTP/1.1 server must accept): routed by its path,
// with the host taken from the target (RFC 9112 §3.2.2).

/** An absolute-form target taken apart: the origin form to route by and the authority. */
export interface AbsoluteTarget {
  /** `/path?query` (absolute-path and query; `/` when the URI has no path). */
  originForm: string;
  /** The authority's `host[:port]` (userinfo dropped), for the `Host` header. */
  host: string;
}

/**
 * Splits an absolute-form request target of scheme `http` or `https` (case-insensitive) into its
 * origin form and host. Returns undefined for any other target (origin form `/...`, asterisk form
 * `*`, another scheme, no authority): those are routed as they are. Does not decode or normalize
 * the path: it is routed exactly as an origin-form target with the same bytes would be.
 * RFC 9112 §3.2.2: "When an origin server receives a request with an absolute-form of
 * request-target, the origin server MUST ignore the received Host header field (if any) and
 * instead use the host information of the request-target."
 */
export function parseAbsoluteTarget(target: string): AbsoluteTarget | undefined {
  const m = /^https?:\/\/([^/?#]*)([^#]*)/i.exec(target);
  if (!m) return undefined;
  const authority = m[1]!;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  if (host === '') return undefined;
  const rest = m[2]!;
  return { originForm: rest.startsWith('/') ? rest : `/${rest}`, host };
}
