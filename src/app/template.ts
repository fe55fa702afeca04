// Spin's variable templates (`"https://{{ api_host }}/users"`) and variable names, as
// spinframework/spin `crates/expressions` defines them: `src/template.rs` (parsing) and
// `src/lib.rs` (`Key::validate`, `validate_template`, `resolve_template`).

/** One piece of a template: literal text, or the name inside `{{ ... }}` (trimmed). */
export type TemplatePart = { lit: string } | { expr: string };

/**
 * Splits a template into literal and `{{ name }}` parts (Spin `Template::new`): text up to the next
 * `{{` is literal; an expression runs to the next `}}` and is trimmed. There is no escaping.
 * @returns the parts, or `{ error }` for an unmatched `{{` (Spin: "unmatched '{{' in template").
 */
export function parseTemplate(template: string): TemplatePart[] | { error: string } {
  const parts: TemplatePart[] = [];
  let rest = template;
  while (rest !== '') {
    if (rest.startsWith('{{')) {
      const end = rest.indexOf('}}', 2);
      if (end < 0) return { error: "unmatched '{{' in template" };
      parts.push({ expr: rest.slice(2, end).trim() });
      rest = rest.slice(end + 2);
    } else {
      const next = rest.indexOf('{{');
      const lit = next < 0 ? rest : rest.slice(0, next);
      parts.push({ lit });
      rest = rest.slice(lit.length);
    }
  }
  return parts;
}

/** The variable names a parsed template refers to, in order, duplicates kept. */
export function templateNames(parts: readonly TemplatePart[]): string[] {
  return parts.flatMap((p) => ('expr' in p ? [p.expr] : []));
}

/**
 * Checks a variable name (Spin `Key::validate`, used for application variables, component
 * variables and `get` from the guest): not empty; only `a-z`, `0-9` and `_`; starts with a letter,
 * ends with a letter or digit; no `__` (so names map one-to-one onto `SPIN_VARIABLE_<NAME>`).
 * @returns what is wrong, or undefined when the name is valid.
 */
export function checkVariableName(name: string): string | undefined {
  if (name === '') return 'it must not be empty';
  const bad = [...name].find((c) => !/[a-z0-9_]/.test(c));
  if (bad !== undefined) return `invalid character ${JSON.stringify(bad)}: variable names may contain only lower-case letters, numbers, and underscores`;
  if (!/^[a-z]/.test(name)) return 'it must start with a lowercase ASCII letter';
  if (!/[a-z0-9]$/.test(name)) return 'it must end with a lowercase ASCII letter or digit';
  if (name.includes('__')) return 'it must not contain multiple consecutive underscores';
  return undefined;
}

/**
 * Substitutes every `{{ name }}` of a template (text, or parts from {@link parseTemplate}) with
 * `lookup(name)` (Spin `Resolver::resolve_template`). Pure: no providers, no I/O.
 * @throws Error for an unmatched `{{` in template text; whatever `lookup` throws (e.g. for a name
 *   with no value).
 */
export function resolveTemplate(template: string | readonly TemplatePart[], lookup: (name: string) => string): string {
  const parts = typeof template === 'string' ? parseTemplate(template) : template;
  if ('error' in parts) throw new Error(parts.error);
  let out = '';
  for (const p of parts) out += 'lit' in p ? p.lit : lookup(p.expr);
  return out;
}
