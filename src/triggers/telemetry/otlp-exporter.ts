// The OTLP span exporter of one protocol, from the official OpenTelemetry JS packages (all
// 0.301.x, built on @opentelemetry/sdk-trace 3.1.x). Only the chosen exporter package is imported
// (the shared otlp-transformer comes with any of them; the gRPC exporter loads @grpc/grpc-js only
// when it first exports).
// Chosen as Spin chooses its exporter (spinframework/spin crates/telemetry/src/traces.rs
// `otel_tracing_layer`: `with_tonic()` for grpc, `with_http()` for http/protobuf); Spin refuses
// http/json, which wasmlet keeps (it was wasmlet's only protocol before).
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from './tracing-env.ts';

/**
 * A new span exporter speaking `protocol`, configured by the exporter package from the standard
 * variables (endpoint as tracing-env.ts `otlpTracesEndpoint` describes; OTEL_EXPORTER_OTLP_HEADERS,
 * _TIMEOUT, _COMPRESSION, their _TRACES_ forms; for grpc also _INSECURE and _CERTIFICATE):
 * - `http/protobuf`: `@opentelemetry/exporter-trace-otlp-proto`, POST `application/x-protobuf`
 *   (an `ExportTraceServiceRequest`) to `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`;
 * - `http/json`: `@opentelemetry/exporter-trace-otlp-http`, the same request as OTLP/JSON;
 * - `grpc`: `@opentelemetry/exporter-trace-otlp-grpc`, the unary call
 *   `opentelemetry.proto.collector.trace.v1.TraceService/Export` to the endpoint as is
 *   (`http://collector:4317`; an `http` scheme means plaintext, `https` TLS).
 */
export async function createOtlpTraceExporter(protocol: OtlpProtocol): Promise<SpanExporter> {
  switch (protocol) {
    case 'http/protobuf': return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    case 'http/json': return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'grpc': return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
  }
}
