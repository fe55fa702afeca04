// The `fermyon:spin/*@2.0.0` interfaces wasmlet does not back: llm, mqtt, postgres, mysql
// (and rdbms-types, which only declares types). Spin's SDK world (`platform` in spinframework/spin
// `wit/deps/spin@2.0.0/world.wit`) imports all of them, used or not, so a component built with
// it must still link: each function answers with its interface's own error variant, whose
// message says wasmlet does not provide the interface. Error cases from the same WIT files:
// `llm.error.runtime-error(string)`, `mqtt.error.other(string)`,
// `rdbms-types.error.other(string)` (postgres, mysql).

/** A WIT error value thrown to the guest (jco hands `payload` over as the `err`). */
class UnsupportedError extends Error {
  override readonly name = 'UnsupportedInterfaceError';
  readonly payload: { tag: string; val: string };
  constructor(tag: string, message: string) {
    super(message);
    this.payload = { tag, val: message };
  }
}

function refuse(iface: string, tag: string): () => never {
  const message = `wasmlet does not provide fermyon:spin/${iface}@2.0.0`;
  return () => { throw new UnsupportedError(tag, message); };
}

/** A resource class whose `open` and every method answer the error (an instance never exists). */
function connectionClass(iface: string, tag: string, methods: readonly string[]): object {
  const fail = refuse(iface, tag);
  const cls = class Connection {
    static open(): never { return fail(); }
  };
  for (const m of methods) Object.defineProperty(cls.prototype, m, { value: fail });
  return cls;
}

/**
 * The stub interface objects, keyed by unversioned specifier as jco keys imports
 * (`fermyon:spin/llm`). Built per instance like every other host interface (they hold nothing).
 */
export function createUnsupportedSpinInterfaces(): Record<string, object> {
  const llm = refuse('llm', 'runtime-error');
  const rdbms = ['query', 'execute'];
  return {
    'fermyon:spin/llm': { infer: llm, generateEmbeddings: llm },
    'fermyon:spin/mqtt': { Connection: connectionClass('mqtt', 'other', ['publish']) },
    'fermyon:spin/postgres': { Connection: connectionClass('postgres', 'other', rdbms) },
    'fermyon:spin/mysql': { Connection: connectionClass('mysql', 'other', rdbms) },
    'fermyon:spin/rdbms-types': {},
  };
}
