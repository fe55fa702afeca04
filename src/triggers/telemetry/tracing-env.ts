// Whether OpenTelemetry tracing is configured, and over which OTLP protocol, read from the
// standard environment variables the way Spin reads them (spinframework/spin
// crates/telemetry/src/env.rs: traces are on when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, unless OTEL_SDK_DISABLED=true; `OtlpProtocol::
// traces_protocol_from_env` picks the protocol). No OpenTelemetry import here: nothing is loaded
// unless this says yes, and then only the chosen protocol's exporter (otlp-exporter.ts).
import { WasmletError } from '../../util/errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The OTLP transports, as the OpenTelemetry specification names them (specification/protocol/
 * exporter.md, "Specify Protocol"): `grpc` (protobuf over gRPC, HTTP/2), `http/protobuf`
 * (protobuf over HTTP, POST `/v1/traces`), `http/json` (JSON over HTTP, POST `/v1/traces`).
 */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;

/** One of {@link OTLP_PROTOCOLS}. */
export type OtlpProtocol = typeof OTLP_PROTOCOLS[number];

/**
 * The protocol when no variable names one: `http/protobuf`, the specification's default
 * (exporter.md: "If no configuration is provided the default transport SHOULD be
 * `http/protobuf`") and Spin's (`protocol_from_env` falls back to "http/protobuf").
 */
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

/**
 * True when an OTLP traces endpoint is configured (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT not blank; the exporters trim them too) and the SDK is not disabled.
 */
export function tracingConfigured(env: Env = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/**
 * The OTLP protocol spans are exported with: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else
 * OTEL_EXPORTER_OTLP_PROTOCOL, else {@link DEFAULT_OTLP_PROTOCOL}. Values are matched without
 * case and surrounding spaces; an empty variable counts as unset (specification/configuration/
 * sdk-environment-variables.md: "Enum values SHOULD be interpreted in a case-insensitive manner";
 * an empty value is treated as unset).
 *
 * @throws WasmletError `WASMLET_ERR_OTLP_PROTOCOL` (blame user) for any other value, naming the
 *   variable, its value and the accepted ones. The specification asks SDKs to warn and ignore an
 *   unknown enum value, and Spin warns and uses http/protobuf; a server is different: a typo
 *   (`http/proto`) would export to a collector that never receives anything, silently, so
 *   `wasmlet serve` refuses to start instead.
 */
export function otlpTracesProtocol(env: Env = process.env): OtlpProtocol {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'] as const) {
    const raw = env[name];
    const value = raw?.trim().toLowerCase();
    if (!value) continue;
    if ((OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
    throw new WasmletError('WASMLET_ERR_OTLP_PROTOCOL',
      `${name}=${JSON.stringify(raw)} is not an OTLP protocol; use one of ${OTLP_PROTOCOLS.join(', ')} (default ${DEFAULT_OTLP_PROTOCOL}), or unset it`,
      { blame: 'user' });
  }
  return DEFAULT_OTLP_PROTOCOL;
}

/**
 * Where `protocol` sends spans, for the startup log line: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as
 * is; else OTEL_EXPORTER_OTLP_ENDPOINT, plus `/v1/traces` over HTTP (exporter.md, "Endpoint URLs
 * for OTLP/HTTP") but as is over gRPC, where the endpoint is the collector's address and the
 * service method (`/opentelemetry.proto.collector.trace.v1.TraceService/Export`) is the path
 * (exporter.md, "Endpoint (OTLP/gRPC)"). Undefined when neither variable is set. The exporters
 * read the same variables themselves; this only describes what they do.
 */
export function otlpTracesEndpoint(protocol: OtlpProtocol, env: Env = process.env): string | undefined {
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (signal) return signal;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  return protocol === 'grpc' ? base : `${base.replace(/\/$/, '')}/v1/traces`;
}
