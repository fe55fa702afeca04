// The shared case table of `allowed_outbound_hosts`: (entries, URL, allowed?). Rows marked `spin`
// are Spin's own tests (spinframework/spin `crates/outbound-networking-config/src/allowed_hosts.rs`,
// `mod test`: test_allowed_hosts_can_be_specific, _with_trailing_slash, _can_be_subdomain_wildcards,
// test_hash_char_in_db_password, test_cidr); rows marked `wasmlet` pin the rest of the grammar.
// Run against the matcher (allowed-hosts.test.ts) and through wasi:http's outgoing-handler
// (host/wasi/p2/http.test.ts, http and https rows).

/** One row: `url` is absolute; `expected` says whether some entry of `allowed` allows it. */
export interface AllowCase {
  allowed: string[];
  url: string;
  expected: boolean;
  from: 'spin' | 'wasmlet';
}

const specific = ['*://spin.fermyon.dev:443', 'http://example.com:8383'];
const subdomains = ['http://*.example.com', 'http://*.example2.com:8383'];

/** Every row; see the file comment. */
export const ALLOW_CASES: readonly AllowCase[] = [
  // Spin: test_allowed_hosts_can_be_specific
  { allowed: specific, url: 'http://example.com:8383/foo/bar', expected: true, from: 'spin' },
  { allowed: specific, url: 'https://spin.fermyon.dev', expected: true, from: 'spin' },
  { allowed: specific, url: 'https://spin.fermyon.dev/', expected: true, from: 'spin' },
  { allowed: specific, url: 'http://example.com/', expected: false, from: 'spin' },
  { allowed: specific, url: 'http://google.com/', expected: false, from: 'spin' },
  { allowed: specific, url: 'https://spin.fermyon.dev:443', expected: true, from: 'spin' },
  { allowed: specific, url: 'http://example.com:8383', expected: true, from: 'spin' },
  // Spin: test_allowed_hosts_with_trailing_slash
  { allowed: ['https://my.api.com/'], url: 'https://my.api.com', expected: true, from: 'spin' },
  { allowed: ['https://my.api.com/'], url: 'https://my.api.com/', expected: true, from: 'spin' },
  // Spin: test_allowed_hosts_can_be_subdomain_wildcards
  { allowed: subdomains, url: 'http://a.example.com/foo/bar', expected: true, from: 'spin' },
  { allowed: subdomains, url: 'http://a.b.example.com/foo/bar', expected: true, from: 'spin' },
  { allowed: subdomains, url: 'http://a.b.example2.com:8383/foo/bar', expected: true, from: 'spin' },
  { allowed: subdomains, url: 'http://a.b.example2.com/foo/bar', expected: false, from: 'spin' },
  { allowed: subdomains, url: 'http://example.com/foo/bar', expected: false, from: 'spin' },
  { allowed: subdomains, url: 'http://example.com:8383/foo/bar', expected: false, from: 'spin' },
  { allowed: subdomains, url: 'http://myexample.com/foo/bar', expected: false, from: 'spin' },
  // Spin: test_hash_char_in_db_password (the URL as percent-encoded by Spin's OutboundUrl)
  { allowed: ['mysql://xyz.com'], url: 'mysql://user%3Apass%23word@xyz.com', expected: true, from: 'spin' },
  // Spin: test_cidr
  { allowed: ['*://127.0.0.1/24:63551'], url: 'tcp://127.0.0.1:63551', expected: true, from: 'spin' },

  // Deny by default; scheme, host and port must all match.
  { allowed: [], url: 'https://api.example.com/', expected: false, from: 'wasmlet' },
  { allowed: ['https://api.example.com'], url: 'https://api.example.com:443/x', expected: true, from: 'wasmlet' },
  { allowed: ['https://api.example.com'], url: 'https://api.example.com:8443/x', expected: false, from: 'wasmlet' },
  { allowed: ['https://api.example.com'], url: 'http://api.example.com/x', expected: false, from: 'wasmlet' },
  { allowed: ['https://api.example.com'], url: 'http://api.example.com:443/x', expected: false, from: 'wasmlet' },
  { allowed: ['https://API.Example.com'], url: 'https://api.example.com/', expected: true, from: 'wasmlet' },
  { allowed: ['HTTPS://api.example.com'], url: 'https://api.example.com/', expected: true, from: 'wasmlet' },
  { allowed: ['https://api.example.com'], url: 'https://api.example.com./', expected: true, from: 'wasmlet' },
  { allowed: ['https://*.example.com'], url: 'https://evilexample.com/', expected: false, from: 'wasmlet' },
  { allowed: ['https://*.example.com:443'], url: 'https://a.example.com:444/', expected: false, from: 'wasmlet' },
  // `*` any scheme, any host, any port.
  { allowed: ['*://*:*'], url: 'https://anything.example.org:1234/', expected: true, from: 'wasmlet' },
  { allowed: ['*://*:*'], url: 'http://10.0.0.1/', expected: true, from: 'wasmlet' },
  { allowed: ['https://*'], url: 'https://x.y/', expected: true, from: 'wasmlet' },
  { allowed: ['https://*'], url: 'https://x.y:8443/', expected: false, from: 'wasmlet' },
  { allowed: ['https://*'], url: 'http://x.y/', expected: false, from: 'wasmlet' },
  { allowed: ['*://example.com:443'], url: 'http://example.com:443/', expected: true, from: 'wasmlet' },
  { allowed: ['*://example.com:443'], url: 'https://example.com/', expected: true, from: 'wasmlet' },
  { allowed: ['*://example.com:443'], url: 'http://example.com/', expected: false, from: 'wasmlet' },
  { allowed: ['http://127.0.0.1:*'], url: 'http://127.0.0.1:31337/', expected: true, from: 'wasmlet' },
  { allowed: ['http://127.0.0.1:*'], url: 'http://127.0.0.1/', expected: true, from: 'wasmlet' },
  { allowed: ['http://127.0.0.1:*'], url: 'https://127.0.0.1:31337/', expected: false, from: 'wasmlet' },
  { allowed: ['http://127.0.0.1:*'], url: 'http://localhost:31337/', expected: false, from: 'wasmlet' },
  // Port ranges: `a..b` is a <= port < b (Spin's Rust `Range`).
  { allowed: ['http://localhost:8000..8010'], url: 'http://localhost:8000/', expected: true, from: 'wasmlet' },
  { allowed: ['http://localhost:8000..8010'], url: 'http://localhost:8009/', expected: true, from: 'wasmlet' },
  { allowed: ['http://localhost:8000..8010'], url: 'http://localhost:8010/', expected: false, from: 'wasmlet' },
  { allowed: ['http://localhost:8000..8010'], url: 'http://localhost:7999/', expected: false, from: 'wasmlet' },
  { allowed: ['http://localhost:1..1000'], url: 'http://localhost/', expected: true, from: 'wasmlet' },
  // Well-known ports per scheme, for entries and requests without one.
  { allowed: ['redis://cache.internal'], url: 'redis://cache.internal:6379', expected: true, from: 'wasmlet' },
  { allowed: ['postgres://db'], url: 'postgres://db:5432/app', expected: true, from: 'wasmlet' },
  { allowed: ['postgres://db'], url: 'postgres://db:5433/app', expected: false, from: 'wasmlet' },
  { allowed: ['mqtt://broker'], url: 'mqtt://broker', expected: true, from: 'wasmlet' },
  { allowed: ['*://broker:*'], url: 'nats://broker', expected: true, from: 'wasmlet' },
  { allowed: ['*://broker:4222'], url: 'nats://broker', expected: false, from: 'wasmlet' },
  // IP addresses and blocks.
  { allowed: ['http://192.168.1.1'], url: 'http://192.168.1.1/', expected: true, from: 'wasmlet' },
  { allowed: ['http://[::1]:8080'], url: 'http://[::1]:8080/', expected: true, from: 'wasmlet' },
  { allowed: ['http://[::1]'], url: 'http://[::1]/', expected: true, from: 'wasmlet' },
  { allowed: ['http://[0:0::1]'], url: 'http://[::1]/', expected: true, from: 'wasmlet' },
  { allowed: ['*://10.0.0.0/8:*'], url: 'http://10.200.3.4:9000/', expected: true, from: 'wasmlet' },
  { allowed: ['*://10.0.0.0/8:*'], url: 'http://11.0.0.1/', expected: false, from: 'wasmlet' },
  { allowed: ['*://10.0.0.0/8:*'], url: 'http://ten.example/', expected: false, from: 'wasmlet' },
  { allowed: ['http://10.1.2.3/16'], url: 'http://10.1.200.200/', expected: true, from: 'wasmlet' },
  { allowed: ['http://10.1.2.3/16'], url: 'http://10.2.0.1/', expected: false, from: 'wasmlet' },
  { allowed: ['*://ff00::/8:80'], url: 'http://[ff12::1]/', expected: true, from: 'wasmlet' },
  { allowed: ['*://ff00::/8:80'], url: 'http://[fe80::1]/', expected: false, from: 'wasmlet' },
  { allowed: ['*://ff00::/8:80'], url: 'http://255.0.0.1/', expected: false, from: 'wasmlet' },
  // `self` grants self requests only, never an absolute URL (the host `self.alt` marks a self
  // request: outgoing-handler routes it before matching, see http.test.ts).
  { allowed: ['http://self'], url: 'http://self/', expected: false, from: 'wasmlet' },
  // Several entries: any one suffices.
  { allowed: ['https://a.com', 'http://b.com:81'], url: 'http://b.com:81/', expected: true, from: 'wasmlet' },
  { allowed: ['https://a.com', 'http://b.com:81'], url: 'http://a.com/', expected: false, from: 'wasmlet' },
];

/**
 * Entries that must be refused, each with a pattern of its reason. The first group are Spin's
 * (test_allowed_hosts_does_not_accept_plain_host_*, _accepts_localhost_addresses,
 * _accepts_ip_cidr, _rejects_path, _respects_allow_all, test_missing_scheme).
 */
export const INVALID_ENTRIES: readonly (readonly [entry: string, reason: RegExp])[] = [
  ['spin.fermyon.dev', /does not contain a scheme/],
  ['spin.fermyon.dev:80', /does not contain a scheme/],
  ['localhost', /does not contain a scheme/],
  ['localhost:3001', /does not contain a scheme/],
  ['example.com', /does not contain a scheme/],
  ['*://127.0.0.0/24', /scheme `\*` has no well-known port/],
  ['http://spin.fermyon.dev/a', /has a path/],
  ['http://spin.fermyon.dev:6666/a/b', /has a path/],
  ['http://*.fermyon.dev/a', /has a path/],
  ['insecure:allow-all', /'insecure:allow-all' is not allowed — use '\*:\/\/\*:\*'/],
  ['*', /<scheme>:\/\/<host>\[:<port>\]/],
  ['', /<scheme>:\/\/<host>\[:<port>\]/],
  // wasmlet's own.
  ['*://example.com', /scheme `\*` has no well-known port/],
  ['tcp://h', /scheme `tcp` has no well-known port/],
  ['nats://broker', /scheme `nats` has no well-known port/],
  ['ht-tp://h', /non-alphabetic/],
  ['{http,https}://h', /scheme lists are not supported/],
  ['https://{a,b}.com', /host lists are not supported/],
  ['https://a.com:{80,443}', /port lists are not supported/],
  ['https://ex*.com', /wildcards are allowed only as subdomains/],
  ['https://*.*.com', /wildcards are allowed only as prefixes/],
  ['https://example.com:99999', /port `99999` is not a number/],
  ['https://example.com:abc', /port `abc` is not a number/],
  ['https://example.com:1-1000', /write a range as 1\.\.1001/],
  ['https://example.com:10..10', /port range `10\.\.10` is empty/],
  ['https://example.com:10..x', /port range `10\.\.x` contains a non-number/],
  ['https://{{ host }}', /templates are resolved only in a manifest's allowed_outbound_hosts/],
  ['http://{{ host }}.example.com:{{ port }}', /templates are resolved only in a manifest's allowed_outbound_hosts/],
  ['http://*.backend.spin.internal', /a service chaining host names one component/],
  ['http://a.backend.spin.internal', /a service chaining host names one component/],
  ['http://spin.internal', /a service chaining host names one component/],
  ['redis://hello.spin.internal', /service chaining host, reached only over HTTP/],
  ['http://hello.spin.internal.', /without a trailing dot \(`hello\.spin\.internal`\)/],
  ['redis://*.spin.internal', /service chaining host, reached only over HTTP/],
  ['mysql://hello.spin.internal:3306', /service chaining host, reached only over HTTP/],
  ['http://user@example.com', /not a valid host/],
  ['http://exa mple.com', /not a valid host/],
  ['http://10.0.0.0/33', /prefix length is more than 32 bits/],
  ['http://[::1', /does not close it/],
  ['http://[::1]/x', /has a path/],
];
