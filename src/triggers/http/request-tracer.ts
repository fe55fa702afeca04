// The seam between the HTTP server and a tracing backend (OpenTelemetry: triggers/telemetry/,
// imported only when configured). The server opens one span per request and ends it with the
// access record; executors pass its context into the worker and hand back the worker's spans.
import type { IncomingHttpHeaders } from 'node:http';
import type { SpanRecord, TraceContext } from '../../util/trace-context.ts';
import type { AccessRecord } from './access-log.ts';

/** One request's span. */
export interface RequestSpan {
  /** Its W3C context: the parent of the worker's spans (instantiate, guest run, host calls). */
  readonly context: TraceContext;
  /** Adds spans a worker recorded for this request (children of {@link context}, already ended). */
  addRecords(records: readonly SpanRecord[]): void;
  /** Ends the span with what the access log says (route, component, status, error). */
  end(record: AccessRecord): void;
}

/** Opens request spans. */
export interface RequestTracer {
  /** A request arrived: its span starts now, child of the `traceparent` in `headers` if any. */
  startRequest(method: string, target: string, headers: IncomingHttpHeaders): RequestSpan;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}
