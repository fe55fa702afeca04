// Guest stdout/stderr text on its way from a worker to the server log: a sink the worker gives the
// guest (forwarding decoded text as pool events, bounded per request) and a line splitter the main
// thread feeds those events into. WAGI forwards stderr (its stdout is the response); components
// forward both (Spin logs a component's stdout and stderr: crates/trigger/src/cli/stdio.rs).

/** Which guest stream a text event came from. */
export type GuestStream = 'stdout' | 'stderr';

/** A pool event carrying guest output text (one member per stream, so `type` narrows). */
export type GuestOutputEvent = { type: 'stdout'; text: string } | { type: 'stderr'; text: string };

/** Guest output forwarded per stream and request, at most (a log flood must not become a memory flood). */
export const GUEST_OUTPUT_LIMIT_BYTES = 64 * 1024;

/**
 * A sink for one guest stream that emits its bytes as UTF-8 text events, up to
 * {@link GUEST_OUTPUT_LIMIT_BYTES} per request (then one `[stdout truncated ...]` note, and the
 * rest is dropped). Never throws into the guest. Structurally a WASI p1 `OutputStream` and a
 * WASI 0.2 `ByteSink`.
 */
export function guestOutputSink<S extends GuestStream>(stream: S, emit: (event: { type: S; text: string }) => void): { write(bytes: Uint8Array): void } {
  let total = 0;
  let decoder: InstanceType<typeof TextDecoder> | undefined; // made on first write: most guests write nothing
  return {
    write(bytes: Uint8Array): void {
      if (total >= GUEST_OUTPUT_LIMIT_BYTES) return;
      const take = Math.min(bytes.length, GUEST_OUTPUT_LIMIT_BYTES - total);
      total += take;
      let text = (decoder ??= new TextDecoder()).decode(bytes.subarray(0, take), { stream: true });
      if (total >= GUEST_OUTPUT_LIMIT_BYTES) text += `\n[${stream} truncated at ${GUEST_OUTPUT_LIMIT_BYTES} bytes]\n`;
      if (text) emit({ type: stream, text });
    },
  };
}

/** Joins a stream's text events into lines; `end` hands over an unterminated last line. */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  #pending = '';
  constructor(onLine: (line: string) => void) { this.#onLine = onLine; }
  push(text: string): void {
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop()!;
    for (const line of lines) this.#onLine(line);
  }
  end(): void {
    if (this.#pending) this.#onLine(this.#pending);
    this.#pending = '';
  }
}
