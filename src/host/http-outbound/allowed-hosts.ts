// Spin's `allowed_outbound_hosts` syntax: `scheme://host[:port]` where scheme may be `*`, host may
// be `*` or start with `*.` (any subdomain, not the apex), and port may be `*` or a number. A
// missing port means the scheme's default port (http 80, https 443). Deny by default: an empty
// list allows nothing.
import { WasmletError } from '../../util/errors.ts';

/** Default port per scheme, used when an entry or a request URL has no port. */
export const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** One parsed `allowed_outbound_hosts` entry. */
export interface AllowedHost {
  /** Lower-case scheme without `://`, or `'*'`. */
  scheme: string;
  /** Lower-case host, `'*'` (any), or `'*.suffix'` (any subdomain of suffix). */
  host: string;
  /** Port number, `'*'` (any), or `'default'` (the request scheme's default port). */
  port: number | '*' | 'default';
  /** The entry as written, for messages. */
  source: string;
}

/** An outbound request target. `port` undefined means the scheme's default port. */
export interface OutboundTarget {
  scheme: string;
  host: string;
  port?: number;
}

/**
 * Parses `allowed_outbound_hosts` entries.
 * @throws WasmletError `WASMLET_ERR_ALLOWED_HOST_INVALID` (blame `user`) for an entry that is not
 *   `scheme://host[:port]`, has a path, or has a bad port.
 */
export function parseAllowedHosts(entries: readonly string[]): AllowedHost[] {
  return entries.map(parseAllowedHost);
}

function invalid(entry: string, why: string): WasmletError {
  return new WasmletError('WASMLET_ERR_ALLOWED_HOST_INVALID',
    `allowed_outbound_hosts entry ${JSON.stringify(entry)} is invalid: ${why}; write it as scheme://host[:port], e.g. "https://api.example.com", "https://*.example.com:443" or "*://*:*"`,
    { blame: 'user' });
}

function parseAllowedHost(entry: string): AllowedHost {
  const m = /^([a-z*][a-z0-9+.-]*|\*):\/\/(\[[0-9a-f:.]+\]|[^/:?#[\]]+)(?::([^/?#]*))?\/?$/i.exec(entry.trim());
  if (!m) throw invalid(entry, 'expected scheme://host[:port] with no path');
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.toLowerCase();
  const portText = m[3];
  if (host.includes('*') && host !== '*' && !(host.startsWith('*.') && !host.slice(2).includes('*'))) {
    throw invalid(entry, 'a wildcard host must be "*" or start with "*."');
  }
  let port: AllowedHost['port'] = 'default';
  if (portText !== undefined) {
    if (portText === '*') port = '*';
    else if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
    else throw invalid(entry, `port ${JSON.stringify(portText)} is not a number 0-65535 or "*"`);
  }
  if (port === 'default' && scheme !== '*' && DEFAULT_PORTS[scheme] === undefined) {
    throw invalid(entry, `scheme "${scheme}" has no default port, give one`);
  }
  return { scheme, host, port, source: entry };
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/** True when `target` is allowed by at least one entry of `allowed`. */
export function isOutboundAllowed(allowed: readonly AllowedHost[], target: OutboundTarget): boolean {
  const scheme = target.scheme.toLowerCase();
  const host = target.host.toLowerCase().replace(/\.$/, '');
  const port = target.port ?? DEFAULT_PORTS[scheme];
  if (port === undefined) return false;
  return allowed.some((a) => (a.scheme === '*' || a.scheme === scheme)
    && hostMatches(a.host, host)
    && (a.port === '*' || (a.port === 'default' ? DEFAULT_PORTS[scheme] === port : a.port === port)));
}
