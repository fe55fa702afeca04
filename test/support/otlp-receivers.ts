// OTLP trace receivers for the tests, one per protocol of the OpenTelemetry specification
// (specification/protocol/exporter.md, "Specify Protocol"), each a real server that decodes what
// the real exporter sent: http/json (POST /v1/traces, OTLP/JSON), http/protobuf (POST /v1/traces,
// an `ExportTraceServiceRequest` in protobuf, decoded with protobufjs) and grpc (a @grpc/grpc-js
// server implementing `opentelemetry.proto.collector.trace.v1.TraceService/Export`, protobufjs
// (de)serialisers). The messages are test/fixtures/otlp/trace-service.proto. Every span is
// flattened to one shape, whatever the protocol, so the same assertions run on all three.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { repoRoot } from './fixtures.ts';

/** The OTLP protocols (as OTEL_EXPORTER_OTLP_PROTOCOL names them). */
export type OtlpTestProtocol = 'http/json' | 'http/protobuf' | 'grpc';

/** A received span, attributes flattened; ids in lowercase hex (`''` for no parent). */
export interface ReceivedSpan {
  traceId: string; spanId: string; parentSpanId: string; name: string;
  /** OTLP `SpanKind`: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status?: { code?: number };
}

/** A running receiver. */
export interface OtlpReceiver {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:PORT` (HTTP adds `/v1/traces`). */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** `service.name` of every resource received. */
  readonly serviceNames: Set<string>;
  /** What was wrong with a request (path, content type, body); empty when all were right. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** An OTLP `ExportTraceServiceRequest` as protobufjs `toObject` or OTLP/JSON gives it. */
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: WireSpan[] }[];
  }[];
}
interface KeyValue { key: string; value: Record<string, unknown> }
interface WireSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
  attributes?: KeyValue[]; status?: { code?: number };
}

/** OTLP `AnyValue` -> a JS value (strings, ints as numbers, bools, doubles). */
function anyValue(v: Record<string, unknown>): string | number | boolean {
  if ('stringValue' in v) return v.stringValue as string;
  if ('intValue' in v) return Number(v.intValue);
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('doubleValue' in v) return v.doubleValue as number;
  return JSON.stringify(v);
}

/** Adds the spans of `data` to `receiver`; `hex` turns a wire id into hex (OTLP/JSON ids already are). */
function collect(receiver: Pick<OtlpReceiver, 'spans' | 'serviceNames'>, data: ExportRequest, hex: (id: string) => string): void {
  for (const rs of data.resourceSpans ?? []) {
    for (const a of rs.resource?.attributes ?? []) if (a.key === 'service.name') receiver.serviceNames.add(String(anyValue(a.value)));
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        receiver.spans.push({
          traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: s.parentSpanId ? hex(s.parentSpanId) : '',
          name: s.name, kind: s.kind, attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, anyValue(a.value)])),
          ...s.status === undefined ? {} : { status: s.status },
        });
      }
    }
  }
}

/** The fixture's messages. */
function otlpTypes(): { request: protobuf.Type; response: protobuf.Type } {
  const root = protobuf.loadSync(join(repoRoot, 'test/fixtures/otlp/trace-service.proto'));
  return {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  };
}

/** Protobuf bytes -> the request in OTLP/JSON's shape (camelCase fields, ids as base64). */
function decodeRequest(type: protobuf.Type, bytes: Uint8Array): ExportRequest {
  return type.toObject(type.decode(bytes), { longs: Number, enums: Number, bytes: String }) as ExportRequest;
}

const base64ToHex = (id: string): string => Buffer.from(id, 'base64').toString('hex');

/**
 * Starts a receiver for `protocol` on 127.0.0.1 (a free port). With `requireHeader` (HTTP only),
 * a request without that header and value is a problem (OTEL_EXPORTER_OTLP_HEADERS reached it).
 */
export async function startOtlpReceiver(protocol: OtlpTestProtocol, requireHeader?: [name: string, value: string]): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const serviceNames = new Set<string>();
  const problems: string[] = [];
  const types = protocol === 'http/json' ? undefined : otlpTypes();
  const received = { spans, serviceNames };

  if (protocol === 'grpc') {
    const server = new GrpcServer();
    server.addService({
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false,
        requestDeserialize: (bytes: Buffer) => decodeRequest(types!.request, bytes),
        requestSerialize: (value: ExportRequest) => Buffer.from(types!.request.encode(types!.request.fromObject(value)).finish()),
        responseSerialize: (value: object) => Buffer.from(types!.response.encode(types!.response.fromObject(value)).finish()),
        responseDeserialize: (bytes: Buffer) => types!.response.toObject(types!.response.decode(bytes)),
      },
    }, {
      Export: (call: { request: ExportRequest }, callback: (err: null, response: object) => void) => {
        collect(received, call.request, base64ToHex);
        callback(null, {});
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound))));
    return {
      endpoint: `http://127.0.0.1:${port}`, spans, serviceNames, problems,
      close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
    };
  }

  const contentType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const problem = req.url !== '/v1/traces' ? `POST to ${req.url}, not /v1/traces`
        : req.headers['content-type'] !== contentType ? `content-type ${req.headers['content-type']}, not ${contentType}`
          : requireHeader && req.headers[requireHeader[0]] !== requireHeader[1] ? `header ${requireHeader[0]}: ${String(req.headers[requireHeader[0]])}, not ${requireHeader[1]}`
            : undefined;
      if (problem !== undefined) {
        problems.push(problem);
        res.writeHead(400).end();
        return;
      }
      try {
        if (types === undefined) collect(received, JSON.parse(body.toString()) as ExportRequest, (id) => id);
        else collect(received, decodeRequest(types.request, body), base64ToHex);
      } catch (err) {
        problems.push(`undecodable ${protocol} body: ${(err as Error).message}`);
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': contentType });
      // An empty ExportTraceServiceResponse: `{}` in JSON, zero bytes in protobuf.
      res.end(types === undefined ? '{}' : '');
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return {
    endpoint: `http://127.0.0.1:${port}`, spans, serviceNames, problems,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
