// Tracing across the worker boundary with plain data only (no OpenTelemetry below triggers/): the
// main thread's request span hands its W3C trace context (https://www.w3.org/TR/trace-context/)
// into the job; the worker records its spans (instantiate, guest run, host calls) as
// {@link SpanRecord}s with their own span ids, and sends them back; the main thread turns them
// into OpenTelemetry spans with those same ids. Host calls see only {@link HostCallTracer}, and
// an untraced request passes none (no cost beyond one `undefined` check per host call).
import { randomBytes } from 'node:crypto';

/** A W3C trace context: 32 and 16 lowercase hex digits, and the trace flags (bit 0: sampled). */
export interface TraceContext { traceId: string; spanId: string; flags: number }

/** A finished span as a worker records it. Times in ms since the Unix epoch (fractional). */
export interface SpanRecord {
  name: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  endMs: number;
  /** `client` for a call that leaves the process (outbound HTTP, Redis), else `internal`. */
  kind: 'internal' | 'client';
  attributes: Record<string, string | number | boolean>;
  /** Set when the operation failed: its error, for the span status. */
  error?: string;
}

/** One traced host call in progress. */
export interface HostCallSpan {
  /** The `traceparent` header value naming this span, for a request that leaves the process. */
  readonly traceparent: string;
  /** Ends it; `error` marks it failed. */
  end(error?: string): void;
}

/** What a host (outbound HTTP, key-value, SQLite) traces its calls through. */
export interface HostCallTracer {
  start(name: string, kind: SpanRecord['kind'], attributes: SpanRecord['attributes']): HostCallSpan;
}

/** Wall-clock ms since the epoch with sub-ms resolution (same clock on every thread). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A fresh random span id (8 bytes, hex). */
export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** The `traceparent` header of `context` (version 00). */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags.toString(16).padStart(2, '0')}`;
}

/**
 * Parses a `traceparent` header (version 00 and, as the spec asks of unknown versions, any later
 * one by its first four fields); undefined when malformed or all-zero ids.
 */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  const m = header === undefined ? null : /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/.exec(header.trim());
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, flags: parseInt(m[4]!, 16) };
}

/**
 * Records one invocation's spans in a worker under the `parent` context the main thread sent.
 * {@link SpanRecorder.start} opens a child of the current parent; host calls made through
 * {@link SpanRecorder.hostCalls} become children of the span opened with `asHostParent`.
 */
export class SpanRecorder {
  readonly records: SpanRecord[] = [];
  readonly #context: TraceContext;
  #hostParent: string;

  constructor(parent: TraceContext) {
    this.#context = parent;
    this.#hostParent = parent.spanId;
  }

  /**
   * Opens a span (child of the request span); with `asHostParent`, later host calls nest under it.
   * @returns its `end(error?)`.
   */
  start(name: string, attributes: SpanRecord['attributes'] = {}, asHostParent = false): HostCallSpan {
    return this.#open(name, 'internal', attributes, this.#context.spanId, asHostParent);
  }

  /** The tracer host calls use. */
  readonly hostCalls: HostCallTracer = {
    start: (name, kind, attributes) => this.#open(name, kind, attributes, this.#hostParent, false),
  };

  #open(name: string, kind: SpanRecord['kind'], attributes: SpanRecord['attributes'], parentSpanId: string, asHostParent: boolean): HostCallSpan {
    const spanId = newSpanId();
    if (asHostParent) this.#hostParent = spanId;
    const startMs = epochMs();
    let ended = false;
    return {
      traceparent: formatTraceparent({ ...this.#context, spanId }),
      end: (error?: string) => {
        if (ended) return;
        ended = true;
        this.records.push({ name, spanId, parentSpanId, startMs, endMs: epochMs(), kind, attributes, ...(error === undefined ? {} : { error }) });
      },
    };
  }
}

/**
 * Runs `fn` as a traced host call when `tracer` is set (else just runs it): the span ends when
 * the promise settles, failed if it rejects.
 */
export async function traced<T>(tracer: HostCallTracer | undefined, name: string, kind: SpanRecord['kind'],
  attributes: SpanRecord['attributes'], fn: (span: HostCallSpan | undefined) => Promise<T>): Promise<T> {
  if (tracer === undefined) return fn(undefined);
  const span = tracer.start(name, kind, attributes);
  try {
    const result = await fn(span);
    span.end();
    return result;
  } catch (err) {
    span.end(err instanceof Error ? err.message : describeGuestError(err));
    throw err;
  }
}

/** A WIT error value (`{ tag }`, or an Error with `payload`) as text. */
function describeGuestError(err: unknown): string {
  const tag = (err as { tag?: unknown } | null)?.tag;
  return typeof tag === 'string' ? tag : String(err);
}
