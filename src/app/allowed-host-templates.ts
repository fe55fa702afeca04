// `allowed_outbound_hosts` entries that use application variables
// (`"https://{{ api_host }}"`, `"redis://{{ redis_host }}:{{ redis_port }}"`), as Spin reads them:
// spinframework/spin `crates/outbound-networking-config/src/allowed_hosts.rs`
// (`AllowedHostsConfig::parse_partial`: an entry that is a literal template is parsed at once, any
// other is kept as a `spin_expressions::Template`; `AllowedHostsConfig::parse` with a
// `PreparedResolver` substitutes the variables and parses the result with `AllowedHostConfig::parse`),
// template syntax from `crates/expressions/src/template.rs` (see template.ts).
//
// Where wasmlet differs (each an error earlier, never a different grant):
// - when: Spin checks only the template syntax at load (`crates/loader/src/local.rs` calls
//   `AllowedHostsConfig::validate`) and resolves per instance (`crates/factor-outbound-networking/src/lib.rs`,
//   `prepare`); a failure there (an undeclared variable, a resolved entry that does not parse)
//   fails the component's outbound requests at run time. wasmlet resolves once, at load, from the
//   same values `variables.get` sees (providers are read once per load there too), so those
//   mistakes stop the load, naming the component, the entry and the variable.
// - service chaining: a template that resolves to `http://<id>.spin.internal` is not checked
//   against the app's HTTP components at load (Spin's `validate_service_chaining_for_components`
//   skips templated entries too); a request to an unknown component answers 404.
import type { AllowedHost } from '../host/http-outbound/allowed-hosts.ts';
import { tryParseAllowedHost } from '../host/http-outbound/allowed-hosts.ts';
import type { ManifestVariables } from './manifest/parse-manifest.ts';
import { parseTemplate, resolveTemplate, templateNames, type TemplatePart } from './template.ts';
import type { VariableProblem } from './variables.ts';

/** One `allowed_outbound_hosts` entry that names variables, kept for the loader to resolve. */
export interface AllowedHostTemplate {
  /** The entry as written (becomes the resolved host's `source`, so no value leaks through it). */
  source: string;
  /** Its position in the component's `allowed_outbound_hosts` list (0-based). */
  index: number;
  parts: TemplatePart[];
}

/** What {@link readAllowedHostEntry} makes of one entry. */
export type AllowedHostEntry =
  | { type: 'literal' }
  | { type: 'template'; parts: TemplatePart[] }
  /** Each a sentence for a manifest diagnostic (without the `entry ... of component` prefix). */
  | { type: 'invalid'; problems: string[] };

/**
 * Classifies an entry at manifest parse time: no `{{` (parse it as is), a template whose every
 * name is a declared application variable, or what is wrong (an unmatched `{{`, as Spin's
 * `Template::new`; each undeclared name, as Spin's `Resolver::validate_template` "unknown variable").
 */
export function readAllowedHostEntry(entry: string, vars: ManifestVariables): AllowedHostEntry {
  const parts = parseTemplate(entry);
  if ('error' in parts) return { type: 'invalid', problems: [`invalid template: ${parts.error} — close it with '}}'`] };
  const names = templateNames(parts);
  if (names.length === 0) return { type: 'literal' };
  const unknown = [...new Set(names.filter((n) => !Object.hasOwn(vars.declared, n)))];
  if (unknown.length === 0) return { type: 'template', parts };
  return {
    type: 'invalid',
    problems: unknown.map((n) => `unknown variable \`${n}\` in template — declare it in [variables] (e.g. ${n} = { default = "..." }) or fix the name`),
  };
}

/** A problem with one templated entry, for a diagnostic at `[component.<id>] allowed_outbound_hosts`. */
export interface AllowedHostTemplateProblem {
  component: string;
  message: string;
}

/**
 * Resolves every component's templated entries with the application variables' `values` and
 * parses each result with the one `allowed_outbound_hosts` parser, inserting it at its place in
 * `components[id].allowedOutboundHosts` (which holds the literal entries, in order). Mutates
 * `components`.
 * @param templates component id -> its templated entries (from the manifest parser; every name declared).
 * @param values the resolved application variables (secret values included; never put in a message).
 * @param missing required variables without a value (from resolveAppVariables): an entry using one
 *   is a problem naming the component, the entry and the variable; nothing is resolved then.
 * @returns the problems (empty when every entry resolved to a valid one). A resolved entry the
 *   parser refuses is shown with its value, unless it uses a `secret` variable.
 */
export function resolveAllowedHostTemplates(
  components: Record<string, { allowedOutboundHosts: AllowedHost[] }>,
  templates: Record<string, readonly AllowedHostTemplate[]>, vars: ManifestVariables,
  values: ReadonlyMap<string, string>, missing: readonly VariableProblem[],
): AllowedHostTemplateProblem[] {
  const problems: AllowedHostTemplateProblem[] = [];
  for (const [id, entries] of Object.entries(templates)) {
    const hosts = components[id]?.allowedOutboundHosts;
    if (!hosts) continue;
    for (const t of [...entries].sort((a, b) => a.index - b.index)) {
      const what = `allowed_outbound_hosts entry \`${t.source}\` of component \`${id}\``;
      const names = [...new Set(templateNames(t.parts))];
      const unset = missing.filter((p) => names.includes(p.variable));
      if (unset.length > 0) {
        for (const p of unset) problems.push({ component: id, message: `${what}: ${p.message}` });
        continue;
      }
      if (missing.length > 0) continue;
      const resolved = resolveTemplate(t.parts, (v) => values.get(v)!);
      const parsed = tryParseAllowedHost(resolved);
      if (parsed.ok) {
        hosts.splice(t.index, 0, { ...parsed.value, source: t.source });
        continue;
      }
      const secret = names.filter((n) => vars.declared[n]?.secret);
      problems.push({
        component: id,
        message: secret.length > 0
          ? `${what} resolves to an invalid entry (not shown: it uses secret variable ${secret.map((n) => `\`${n}\``).join(', ')}) — check its value`
          : `${what} resolves to \`${resolved}\`, which is invalid: ${parsed.reason} — fix the value of ${names.map((n) => `\`${n}\``).join(', ')}`,
      });
    }
  }
  return problems;
}
