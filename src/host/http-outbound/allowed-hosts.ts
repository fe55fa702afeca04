// The one grammar of `allowed_outbound_hosts`, parsed once at app load into plain data (it is part
// of the locked app and crosses to worker threads) and matched per outbound request with no
// re-parsing. Follows Spin's `AllowedHostsConfig` / `AllowedHostConfig` (`SchemeConfig`,
// `HostConfig`, `PortConfig`) in spinframework/spin
// `crates/outbound-networking-config/src/allowed_hosts.rs`, and its self-request rule in
// `crates/factor-outbound-http/src/wasi.rs` (`prepare_request`):
//
//   entry  = scheme "://" host [":" port] ["/"]
//   scheme = "*" | letters                       (`*` any; compared lower-case)
//   host   = "*"                                 any host
//          | "*." domain                         any subdomain of domain (not domain itself)
//          | "self" | "self.alt"                 the app itself (see allowsSelfRequests)
//          | ipv4 "/" bits | ipv6 "/" bits       a CIDR block (e.g. `*://10.0.0.0/8:*`)
//          | name | ipv4 | "[" ipv6 "]"         exactly that host
//   port   = "*" | n | a ".." b                  any | one | a <= p < b (Rust `Range`: end excluded)
//          | (absent)                            the scheme's well-known port (see WELL_KNOWN_PORTS)
//
// Refused, with Spin's reasons: `insecure:allow-all` (use `*://*:*`), no scheme, a path, `{a,b}`
// lists, a `*` anywhere but a whole part or a leading `*.`, no port for a scheme without a
// well-known one (so `*://host` needs a port). Template expressions `{{ var }}` are not this
// grammar: the app loader substitutes application variables first and parses the result here
// (src/app/allowed-host-templates.ts), so an entry that still holds `{{` (embedders' grants, a
// variable's value) is refused. wasmlet also refuses, where Spin accepts: `*.spin.internal` or `a.b.spin.internal`
// (no component is named so: Spin would send such a request to DNS), empty port ranges, and
// malformed host names. Service chaining entries (`http://<component>.spin.internal`,
// `http://*.spin.internal`) are ordinary host patterns here; see serviceChainingTarget.
// Where Spin's parser stumbles, wasmlet reads what was meant: `http://[::1]` (an IPv6 literal
// without a port) and CIDR blocks matched against bracketed IPv6 request hosts.
import { WasmletError } from '../../util/errors.ts';
import { isServiceChainingDomain, SERVICE_CHAINING_DOMAIN, serviceChainingTarget } from './service-chaining.ts';

const SERVICE_CHAINING_DOMAIN_SUFFIX = `.${SERVICE_CHAINING_DOMAIN}`;

/**
 * Spin's `well_known_port`: the port an entry or a request without one means, per scheme.
 * A scheme not listed here has none: an entry for it must give a port.
 */
export const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = {
  postgres: 5432, mysql: 3306, redis: 6379, mqtt: 1883, http: 80, https: 443,
};

/** Spin's `HostConfig`, as plain data. Names are lower-case, as WHATWG `URL.hostname` gives them. */
export type HostPattern =
  | { type: 'any' }
  /** `self` / `self.alt`: matches no absolute URL; grants self requests (see {@link allowsSelfRequests}). */
  | { type: 'self' }
  /** One host: a DNS name, an IPv4 address, or a bracketed IPv6 address (`[::1]`). */
  | { type: 'name'; name: string }
  /** `*.example.com`: `suffix` is `.example.com`. */
  | { type: 'subdomain'; suffix: string }
  /** An IP block: `bytes` (4 or 16, host bits zeroed) and prefix length in bits. */
  | { type: 'cidr'; bytes: number[]; prefix: number };

/** Spin's `PortConfig`: any port, or an inclusive range (a single port is `min === max`). */
export type PortPattern = '*' | { min: number; max: number };

/** One parsed `allowed_outbound_hosts` entry (structured-clone data). */
export interface AllowedHost {
  /** Lower-case scheme without `://`, or `'*'`. */
  scheme: string;
  host: HostPattern;
  /** Resolved at parse time: an entry without a port holds its scheme's well-known port. */
  port: PortPattern;
  /**
   * The entry as written, for messages; for a manifest entry with `{{ variable }}`, the template
   * (so no value leaks, and a pushed Spin locked app keeps the template, as Spin's does).
   */
  source: string;
}

/** An outbound request target. `port` undefined means the scheme's well-known port. */
export interface OutboundTarget {
  /** Lower-case scheme without `:`, e.g. `https`. */
  scheme: string;
  /** As WHATWG `URL.hostname` gives it: lower-case, IPv6 in brackets. */
  host: string;
  port?: number;
}

/** The outcome of {@link tryParseAllowedHost}. */
export type AllowedHostResult = { ok: true; value: AllowedHost } | { ok: false; reason: string };

class Invalid {
  readonly reason: string;
  constructor(reason: string) { this.reason = reason; }
}

const LEARN_MORE = 'see https://spinframework.dev/v3/http-outbound#granting-http-permissions-to-components';

/**
 * Parses one entry; on failure says why (a sentence for a manifest diagnostic, naming the entry
 * and what to write instead). Never throws.
 */
export function tryParseAllowedHost(entry: string): AllowedHostResult {
  try {
    return { ok: true, value: parse(entry) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.reason };
    throw err;
  }
}

/**
 * Parses one entry.
 * @throws WasmletError `WASMLET_ERR_ALLOWED_HOST_INVALID` (blame `user`) when the entry is not in
 *   the grammar of this module (message: the entry and the reason).
 */
export function parseAllowedHost(entry: string): AllowedHost {
  const r = tryParseAllowedHost(entry);
  if (r.ok) return r.value;
  throw new WasmletError('WASMLET_ERR_ALLOWED_HOST_INVALID', `allowed_outbound_hosts entry ${JSON.stringify(entry)} is invalid: ${r.reason}`,
    { blame: 'user' });
}

/**
 * Parses a whole `allowed_outbound_hosts` list (the manifest loader parses entry by entry with
 * {@link tryParseAllowedHost} to report every bad one). An empty list allows nothing.
 * @throws WasmletError `WASMLET_ERR_ALLOWED_HOST_INVALID` (blame `user`) for the first invalid entry.
 */
export function parseAllowedHosts(entries: readonly string[]): AllowedHost[] {
  return entries.map(parseAllowedHost);
}

function parse(entry: string): AllowedHost {
  const url = entry.trim();
  if (url.includes('{{')) {
    throw new Invalid('`{{ variable }}` templates are resolved only in a manifest\'s allowed_outbound_hosts, from the app\'s [variables] — write the host literally here');
  }
  if (url === 'insecure:allow-all') {
    throw new Invalid("'insecure:allow-all' is not allowed — use '*://*:*' instead if you really want to allow all outbound traffic");
  }
  const sep = url.indexOf('://');
  if (sep < 0) {
    if (url === '*' || url === ':' || url === '' || url === '?') {
      throw new Invalid(`hosts must be in the form <scheme>://<host>[:<port>], with '*' wildcards allowed for each; to allow all outbound networking use '*://*:*' (this disables network sandboxing); ${LEARN_MORE}`);
    }
    throw new Invalid(`\`${url}\` does not contain a scheme (e.g. 'http://' or '*://') — write it as scheme://host[:port], e.g. https://${url}`);
  }
  const scheme = parseScheme(url.slice(0, sep));
  const rest = url.slice(sep + 3);
  let hostText: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new Invalid(`\`${rest}\` opens an IPv6 address with '[' but does not close it`);
    hostText = rest.slice(0, close + 1);
    const tail = rest.slice(close + 1);
    if (tail.startsWith(':')) portText = tail.slice(1);
    else if (tail === '' || tail === '/') portText = '';
    else throw new Invalid(tail.startsWith('/') ? 'it has a path; only scheme://host[:port] is allowed' : `unexpected \`${tail}\` after the IPv6 address`);
  } else {
    // Spin splits at the last ':' (so an unbracketed IPv6 CIDR block `ff00::/8:80` keeps its colons).
    const colon = rest.lastIndexOf(':');
    hostText = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? '' : rest.slice(colon + 1);
  }
  const slash = portText.indexOf('/');
  if (slash >= 0) {
    if (portText.slice(slash + 1) !== '') throw new Invalid('it has a path; only scheme://host[:port] is allowed');
    portText = portText.slice(0, slash);
  }
  const host = parseHost(hostText);
  const chaining = host.type === 'name' ? isServiceChainingDomain(host.name) : host.type === 'subdomain' && isServiceChainingDomain(host.suffix.slice(1));
  if (chaining && scheme !== 'http' && scheme !== 'https' && scheme !== '*') {
    throw new Invalid(`\`${hostText}\` is a service chaining host, reached only over HTTP: write \`http://${hostText}\``);
  }
  return { scheme, host, port: parsePort(portText, scheme), source: entry };
}

function parseScheme(text: string): string {
  if (text === '*') return '*';
  if (text.startsWith('{')) throw new Invalid('scheme lists are not supported yet — write one entry per scheme');
  if (!/^[A-Za-z]+$/.test(text)) throw new Invalid(`scheme \`${text}\` contains a non-alphabetic character (write e.g. \`https\` or \`*\`)`);
  return text.toLowerCase();
}

function parseHost(text: string): HostPattern {
  let host = text.trim();
  if (host === '*') return { type: 'any' };
  if (host === 'self' || host === 'self.alt') return { type: 'self' };
  if (host.startsWith('{')) throw new Invalid('host lists are not supported yet — write one entry per host');
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(host);
  if (cidr && (isIpv4(cidr[1]!) || cidr[1]!.includes(':'))) return parseCidr(cidr[1]!, Number(cidr[2]));
  const slash = host.indexOf('/');
  if (slash >= 0) {
    if (host.slice(slash + 1) !== '') throw new Invalid('it has a path; only scheme://host[:port] is allowed');
    host = host.slice(0, slash);
  }
  if (host.startsWith('*.')) {
    const domain = host.slice(2);
    if (domain.includes('*')) throw new Invalid(`host \`${host}\`: wildcards are allowed only as prefixes (\`*.example.com\`)`);
    const name = normalizeName(domain, host);
    if (name.endsWith(SERVICE_CHAINING_DOMAIN_SUFFIX)) throw serviceChaining(host);
    return { type: 'subdomain', suffix: `.${name}` };
  }
  if (host.includes('*')) throw new Invalid(`host \`${host}\`: wildcards are allowed only as subdomains (\`*.example.com\`) or as the whole host (\`*\`)`);
  const name = normalizeName(host, host);
  if (name.endsWith('.') && isServiceChainingDomain(name)) {
    throw new Invalid(`\`${host}\`: write service chaining hosts without a trailing dot (\`${host.replace(/\.$/, '')}\`)`);
  }
  if ((name === SERVICE_CHAINING_DOMAIN || name.endsWith(SERVICE_CHAINING_DOMAIN_SUFFIX)) && serviceChainingTarget(name) === undefined) {
    throw serviceChaining(host);
  }
  return { type: 'name', name };
}

function serviceChaining(host: string): Invalid {
  return new Invalid(`\`${host}\`: a service chaining host names one component: \`<component-id>.spin.internal\` or \`*.spin.internal\``);
}

/** Lower-cases and canonicalizes a host the way request URLs are (WHATWG `URL.hostname`). */
function normalizeName(text: string, shown: string): string {
  const bracketed = !text.startsWith('[') && text.includes(':') ? `[${text}]` : text;
  if (bracketed === '' || /[\s@/?#\\%]/.test(bracketed)) throw new Invalid(`\`${shown}\` is not a valid host name`);
  try {
    const name = new URL(`http://${bracketed}`).hostname;
    if (name === '') throw new Error('empty');
    return name;
  } catch {
    throw new Invalid(`\`${shown}\` is not a valid host name or IP address`);
  }
}

function parseCidr(address: string, prefix: number): HostPattern {
  const bytes = isIpv4(address) ? ipv4Bytes(address) : ipv6Bytes(normalizeName(address, address));
  if (bytes === undefined) throw new Invalid(`\`${address}/${prefix}\` is not an IP address block`);
  if (prefix > bytes.length * 8) throw new Invalid(`\`${address}/${prefix}\`: the prefix length is more than ${bytes.length * 8} bits`);
  // Host bits are dropped, as Spin's `IpNetwork::from_str_truncate` does.
  for (let i = 0; i < bytes.length; i++) bytes[i]! &= maskByte(prefix, i);
  return { type: 'cidr', bytes, prefix };
}

function parsePort(text: string, scheme: string): PortPattern {
  if (text === '') {
    const port = WELL_KNOWN_PORTS[scheme];
    if (port === undefined) {
      throw new Invalid(`no port was given and the scheme \`${scheme}\` has no well-known port number — add one (\`:1234\`) or \`:*\` for any`);
    }
    return { min: port, max: port };
  }
  if (text === '*') return '*';
  if (text.startsWith('{')) throw new Invalid('port lists are not supported yet — write one entry per port or a range `a..b`');
  const range = /^(.*)\.\.(.*)$/.exec(text);
  if (range) {
    const start = portNumber(range[1]!);
    const end = portNumber(range[2]!);
    if (start === undefined || end === undefined) throw new Invalid(`port range \`${text}\` contains a non-number`);
    if (start >= end) throw new Invalid(`port range \`${text}\` is empty: \`a..b\` allows a up to b-1, as in Spin (e.g. 8000..8010 is 8000-8009)`);
    return { min: start, max: end - 1 };
  }
  const port = portNumber(text);
  if (port === undefined) {
    const dash = /^(\d+)-(\d+)$/.exec(text);
    const hint = dash ? ` — write a range as ${dash[1]}..${Number(dash[2]) + 1} (the end is excluded)` : ' (0-65535, `*`, or a range `a..b`)';
    throw new Invalid(`port \`${text}\` is not a number${hint}`);
  }
  return { min: port, max: port };
}

function portNumber(text: string): number | undefined {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined;
}

function isIpv4(text: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text);
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => p <= 255) ? parts : undefined;
}

/** Bytes of a canonical bracketed IPv6 `URL.hostname` (`[ff00::1]`; hex groups only). */
function ipv6Bytes(hostname: string): number[] | undefined {
  if (!hostname.startsWith('[') || !hostname.endsWith(']')) return undefined;
  const [left, right, more] = hostname.slice(1, -1).split('::');
  if (more !== undefined) return undefined;
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const head = groups(left);
  const tail = right === undefined ? [] : groups(right);
  if (right !== undefined && head.length + tail.length > 7) return undefined;
  const all = right === undefined ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

function maskByte(prefix: number, i: number): number {
  const bits = Math.max(0, Math.min(8, prefix - i * 8));
  return (0xff00 >> bits) & 0xff;
}

function hostMatches(pattern: HostPattern, host: string): boolean {
  switch (pattern.type) {
    case 'any': return true;
    case 'self': return false;
    case 'name': return pattern.name === host;
    case 'subdomain': return host.endsWith(pattern.suffix);
    case 'cidr': {
      const bytes = host.startsWith('[') ? ipv6Bytes(host) : isIpv4(host) ? ipv4Bytes(host) : undefined;
      if (bytes === undefined || bytes.length !== pattern.bytes.length) return false;
      for (let i = 0; i < bytes.length; i++) {
        const mask = maskByte(pattern.prefix, i);
        if ((bytes[i]! & mask) !== pattern.bytes[i]) return false;
      }
      return true;
    }
  }
}

/**
 * True when some entry allows `target` (Spin's `AllowedHostsConfig::allows`): its scheme is `*` or
 * the target's, its host pattern matches, and the target's port (or, absent, the target scheme's
 * well-known port; none means denied) is in its range. `self` entries match no target here.
 */
export function isOutboundAllowed(allowed: readonly AllowedHost[], target: OutboundTarget): boolean {
  const scheme = target.scheme.toLowerCase();
  const host = target.host.toLowerCase().replace(/\.$/, '');
  const port = target.port ?? WELL_KNOWN_PORTS[scheme];
  for (const a of allowed) {
    if (a.scheme !== '*' && a.scheme !== scheme) continue;
    if (!hostMatches(a.host, host)) continue;
    if (a.port === '*' || (port !== undefined && port >= a.port.min && port <= a.port.max)) return true;
  }
  return false;
}

/**
 * True when the entries allow self requests: requests to the app's own HTTP listener, written with
 * no authority (`/path`) or with the host `self.alt`. Spin's `allows_relative_url(["http",
 * "https"])`: some entry's scheme is `*`, `http` or `https` and its host is `self`, `self.alt` or
 * `*` (its port does not matter).
 */
export function allowsSelfRequests(allowed: readonly AllowedHost[]): boolean {
  return allowed.some((a) => (a.scheme === '*' || a.scheme === 'http' || a.scheme === 'https')
    && (a.host.type === 'any' || a.host.type === 'self'));
}

/** True when an outgoing request's authority host names the app itself (`self.alt`, Spin's form for SDKs that need an authority). */
export function isSelfAuthority(host: string): boolean {
  return host.toLowerCase() === 'self.alt';
}

