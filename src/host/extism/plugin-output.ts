// What `plugin.call` resolves to and what `CallContext.read` returns: js-sdk's PluginOutput
// (extism/js-sdk src/interfaces.ts at v2.0.0-rc13), a read-only DataView over a copy of the bytes.

const decoder = new TextDecoder();

/**
 * Bytes a plugin produced (its output, a var, a block read by a host function): a `DataView`
 * (`getUint8`, `getBigUint64(0, true)`, ...) plus `text()`/`string()`, `json()`, `bytes()` and
 * `arrayBuffer()`. The bytes are the host's own copy; the `set*` methods throw, as Extism's do.
 */
export class PluginOutput extends DataView<ArrayBuffer> {
  #bytes: Uint8Array | null = null;

  /** @param buffer owned by the output from now on. */
  constructor(buffer: ArrayBuffer) {
    super(buffer);
  }

  /** The bytes as UTF-8 text (invalid sequences become U+FFFD). */
  text(): string { return decoder.decode(this.buffer); }

  /** Same as {@link text} (js-sdk's older name). */
  string(): string { return decoder.decode(this.buffer); }

  /** The text parsed as JSON. @throws SyntaxError when it is not JSON. */
  json(): any { return JSON.parse(this.text()); }

  /** The bytes (one view, reused). */
  bytes(): Uint8Array {
    this.#bytes ??= new Uint8Array(this.buffer);
    return this.#bytes;
  }

  arrayBuffer(): ArrayBuffer { return this.buffer; }

  override setInt8(): void { readOnly(); }
  override setUint8(): void { readOnly(); }
  override setInt16(): void { readOnly(); }
  override setUint16(): void { readOnly(); }
  override setInt32(): void { readOnly(); }
  override setUint32(): void { readOnly(); }
  override setFloat32(): void { readOnly(); }
  override setFloat64(): void { readOnly(); }
  override setBigInt64(): void { readOnly(); }
  override setBigUint64(): void { readOnly(); }
}

function readOnly(): never {
  throw new Error('Cannot set values on output');
}
