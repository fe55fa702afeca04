// The OpenTelemetry side of request tracing (see request-tracer.ts), through the official SDK:
// one SERVER span per request (`GET /hello/...`, with route, component, status), under the
// incoming W3C `traceparent` if any; the worker's recorded spans (instantiate, guest run, host
// calls) as its children, created with the span ids the worker chose (a worker sent them in
// `traceparent` to outbound requests, so they must be the exported ids). Exported in batches by
// the given exporter (otlp-exporter.ts: OTLP over the protocol OTEL_EXPORTER_OTLP_PROTOCOL names);
// the batch processor reads OTEL_BSP_*. This module is imported only when tracing is configured
// (tracing-env.ts): unconfigured, no OpenTelemetry code loads.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Context, Tracer } from '@opentelemetry/api';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, RandomIdGenerator, TracerProvider } from '@opentelemetry/sdk-trace';
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace';
import { parseTraceparent } from '../../util/trace-context.ts';
import type { SpanRecord, TraceContext } from '../../util/trace-context.ts';
import type { AccessRecord } from '../http/access-log.ts';
import type { RequestSpan, RequestTracer } from '../http/request-tracer.ts';

/** Default `service.name` when OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) does not set one. */
export const DEFAULT_SERVICE_NAME = 'wasmlet';

/** Options of {@link createOtelTracer}. */
export interface OtelTracerOptions {
  /** Where spans go: an OTLP exporter (otlp-exporter.ts `createOtlpTraceExporter`), or any other. */
  exporter: SpanExporter;
  /** wasmlet's version, as the instrumentation scope's. */
  version?: string;
}

/**
 * Random ids, except that the next span id can be set: how a worker's span keeps its id. (The
 * SDK's only way to choose a span id is its IdGenerator; the tracer is used from one thread and
 * `startSpan` takes the id synchronously, so set-then-start is race free.)
 */
class PresetIdGenerator implements IdGenerator {
  readonly #random = new RandomIdGenerator();
  next: string | undefined;
  generateTraceId(): string { return this.#random.generateTraceId(); }
  generateSpanId(): string {
    const id = this.next ?? this.#random.generateSpanId();
    this.next = undefined;
    return id;
  }
}

function parentContext(context: TraceContext, remote: boolean): Context {
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: context.traceId, spanId: context.spanId, traceFlags: context.flags, isRemote: remote });
}

class OtelRequestSpan implements RequestSpan {
  readonly context: TraceContext;
  readonly #span: ReturnType<Tracer['startSpan']>;
  readonly #tracer: Tracer;
  readonly #ids: PresetIdGenerator;
  readonly #method: string;

  constructor(tracer: Tracer, ids: PresetIdGenerator, method: string, target: string, incoming: TraceContext | undefined) {
    this.#tracer = tracer;
    this.#ids = ids;
    this.#method = method;
    const path = target.split('?')[0]!;
    this.#span = tracer.startSpan(method || 'HTTP', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': method, 'url.path': path, 'url.scheme': 'http' },
    }, incoming === undefined ? ROOT_CONTEXT : parentContext(incoming, true));
    const sc = this.#span.spanContext();
    this.context = { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags };
  }

  addRecords(records: readonly SpanRecord[]): void {
    if ((this.context.flags & TraceFlags.SAMPLED) === 0) return;
    for (const r of records) {
      this.#ids.next = r.spanId;
      const span = this.#tracer.startSpan(r.name, {
        kind: r.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, startTime: r.startMs, attributes: r.attributes,
      }, parentContext({ ...this.context, spanId: r.parentSpanId }, false));
      this.#ids.next = undefined;
      if (r.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error });
      span.end(r.endMs);
    }
  }

  end(record: AccessRecord): void {
    if (record.route !== undefined) {
      this.#span.updateName(`${this.#method} ${record.route}`);
      this.#span.setAttribute('http.route', record.route);
    }
    if (record.component !== undefined) this.#span.setAttribute('wasmlet.component_id', record.component);
    this.#span.setAttribute('wasmlet.request_id', record.requestId);
    this.#span.setAttribute('http.response.status_code', record.status);
    // OTel HTTP semantic conventions: a server span is an error for 5xx only.
    if (record.status >= 500) this.#span.setStatus({ code: SpanStatusCode.ERROR, ...(record.error ? { message: record.error } : {}) });
    this.#span.end();
  }
}

/** A {@link RequestTracer} exporting through the OpenTelemetry SDK. */
export function createOtelTracer(options: OtelTracerOptions): RequestTracer {
  const ids = new PresetIdGenerator();
  const detected = detectResources({ detectors: [envDetector] });
  const resource = resourceFromAttributes({ 'service.name': DEFAULT_SERVICE_NAME }).merge(detected);
  const provider = new TracerProvider({
    resource, idGenerator: ids, spanProcessors: [new BatchSpanProcessor({ exporter: options.exporter })],
  });
  const tracer = provider.getTracer('wasmlet', options.version);
  return {
    startRequest: (method, target, headers) => {
      const header = headers.traceparent;
      return new OtelRequestSpan(tracer, ids, method, target, parseTraceparent(Array.isArray(header) ? header[0] : header));
    },
    shutdown: () => provider.shutdown(),
  };
}
