// Whether OpenTelemetry tracing is configured, read from the standard environment variables the
// way Spin decides it (spinframework/spin crates/telemetry/src/env.rs: traces are on when
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, unless
// OTEL_SDK_DISABLED=true). No OpenTelemetry import here: nothing is loaded unless this says yes.

/** True when an OTLP traces endpoint is configured and the SDK is not disabled. */
export function tracingConfigured(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}
