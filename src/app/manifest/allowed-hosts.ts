// Syntax of `allowed_outbound_hosts` entries, following Spin's `spin-outbound-networking`:
// `scheme://host[:port]` where scheme may be `*`, host may be `*`, `*.domain`, a name or an IP
// (`[v6]`), and port may be a number, `*`, or a range `a..b`. Checked at load; enforced by host/.

/** Default ports of schemes, so `https://api.example.com` needs no port. */
export const DEFAULT_SCHEME_PORTS: Readonly<Record<string, number>> = {
  http: 80, https: 443, redis: 6379, rediss: 6379, mysql: 3306, postgres: 5432, mqtt: 1883, nats: 4222,
};

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

function checkHost(host: string): string | undefined {
  if (host === '*' || host === 'self') return undefined;
  if (host.startsWith('[') && host.endsWith(']')) {
    return /^[0-9A-Fa-f:.]+$/.test(host.slice(1, -1)) ? undefined : `\`${host}\` is not an IPv6 address`;
  }
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (name.includes('*')) return `\`${host}\`: a wildcard host is \`*\` or \`*.domain\``;
  const labels = name.split('.');
  if (name === '' || !labels.every((l) => HOST_LABEL.test(l))) return `\`${host}\` is not a valid host name`;
  return undefined;
}

function checkPort(port: string): string | undefined {
  if (port === '*') return undefined;
  const range = /^(\d+)\.\.(\d+)$/.exec(port);
  const nums = range ? [range[1]!, range[2]!] : [port];
  for (const n of nums) {
    if (!/^\d+$/.test(n) || Number(n) < 1 || Number(n) > 65535) return `port \`${port}\` is not 1..65535, \`*\` or \`a..b\``;
  }
  if (range && Number(range[1]) >= Number(range[2])) return `port range \`${port}\` is empty`;
  return undefined;
}

/**
 * Checks one `allowed_outbound_hosts` entry; returns what is wrong, or undefined when valid.
 * Spin's `insecure:allow-all` is accepted.
 */
export function checkAllowedHost(entry: string): string | undefined {
  if (entry === 'insecure:allow-all') return undefined;
  if (entry.includes('{{')) return 'variables (`{{ ... }}`) in allowed_outbound_hosts are not supported';
  const sep = entry.indexOf('://');
  if (sep < 0) return `\`${entry}\` has no scheme: write it as scheme://host[:port], e.g. https://${entry}`;
  const scheme = entry.slice(0, sep);
  if (scheme !== '*' && !/^[a-z][a-z0-9+.-]*$/.test(scheme)) return `\`${scheme}\` is not a scheme (lowercase, or \`*\`)`;
  let authority = entry.slice(sep + 3);
  if (authority.endsWith('/')) authority = authority.slice(0, -1);
  if (authority.includes('/')) return `\`${entry}\` has a path; only scheme://host[:port] is allowed`;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority);
  if (!m || m[1] === '') return `\`${entry}\` has no host`;
  const hostError = checkHost(m[1]!);
  if (hostError) return hostError;
  if (m[2] !== undefined) return checkPort(m[2]);
  if (DEFAULT_SCHEME_PORTS[scheme] === undefined) {
    return `\`${entry}\` needs a port: scheme \`${scheme}\` has no default port (e.g. ${entry}:1234 or ${entry}:*)`;
  }
  return undefined;
}
