// `fermyon:spin/variables@2.0.0` (spinframework/spin `wit/deps/spin@2.0.0/variables.wit`): `get`
// over the component's variables, resolved at load (app/variables.ts), so no provider runs here.
// Errors as Spin's `crates/factor-variables/src/host.rs` + `crates/expressions/src/lib.rs`: a
// malformed name is `invalid-name("<name>": <reason>)` (`Key::validate`), a name the component
// does not define is `undefined(no variable for "<component>"."<name>")`.

/** The WIT `error` variant value in jco's shape. */
export type VariablesErrorPayload =
  | { tag: 'invalid-name'; val: string }
  | { tag: 'undefined'; val: string }
  | { tag: 'provider'; val: string }
  | { tag: 'other'; val: string };

/** A guest-facing variables error; jco hands its `payload` to the guest as the `err`. */
export class VariablesError extends Error {
  override readonly name = 'VariablesError';
  readonly payload: VariablesErrorPayload;
  constructor(payload: VariablesErrorPayload) {
    super(`${payload.tag}: ${payload.val}`);
    this.payload = payload;
  }
}

/** Spin's `Key::validate` reason for a bad name, or undefined when `name` is valid. */
export function invalidVariableName(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  const bad = /[^a-z0-9_]/.exec(name);
  if (bad) return `invalid character ${JSON.stringify(bad[0])}. Variable names may contain only lower-case letters, numbers, and underscores.`;
  if (!/^[a-z]/.test(name)) return 'must start with a lowercase ASCII letter';
  if (!/[a-z0-9]$/.test(name)) return 'must end with a lowercase ASCII letter or digit';
  if (name.includes('__')) return 'must not contain multiple consecutive underscores';
  return undefined;
}

/**
 * The interface object for one instance: `get(name)` returns the value or throws a
 * {@link VariablesError}. Synchronous: every value is known already.
 */
export function createSpinVariables(componentId: string, variables: Readonly<Record<string, string>>): { get(name: string): string } {
  return {
    get(name: string): string {
      const reason = invalidVariableName(name);
      if (reason !== undefined) throw new VariablesError({ tag: 'invalid-name', val: `${JSON.stringify(name)}: ${reason}` });
      if (!Object.hasOwn(variables, name)) {
        throw new VariablesError({ tag: 'undefined', val: `no variable for ${JSON.stringify(componentId)}.${JSON.stringify(name)}` });
      }
      return variables[name]!;
    },
  };
}
