import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWasmletError } from '../../util/errors.ts';
import { otlpTracesEndpoint, otlpTracesProtocol, tracingConfigured } from './tracing-env.ts';

test('tracing is on with an endpoint, off without one, blank or with OTEL_SDK_DISABLED=true', () => {
  assert.equal(tracingConfigured({}), false);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/t' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }), false);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' }), false);
});

test('the protocol: traces variable, then the general one, then http/protobuf', () => {
  assert.equal(otlpTracesProtocol({}), 'http/protobuf');
  assert.equal(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), 'grpc');
  assert.equal(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }), 'http/json');
  // An empty variable is unset; values match without case or spaces (enum rule of the SDK env spec).
  assert.equal(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '' }), 'grpc');
  assert.equal(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: ' HTTP/Protobuf ' }), 'http/protobuf');
});

test('an unknown protocol is WASMLET_ERR_OTLP_PROTOCOL naming the variable, the value and the accepted ones', () => {
  assert.throws(() => otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/proto' }), (err) => {
    assert.ok(isWasmletError(err));
    assert.equal(err.code, 'WASMLET_ERR_OTLP_PROTOCOL');
    assert.equal(err.blame, 'user');
    assert.match(err.message, /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http\/proto" is not an OTLP protocol; use one of http\/protobuf, http\/json, grpc/);
    return true;
  });
  assert.throws(() => otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }), /OTEL_EXPORTER_OTLP_PROTOCOL="thrift"/);
});

test('the endpoint: the traces variable as is; the general one + /v1/traces over HTTP, as is over gRPC', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' };
  assert.equal(otlpTracesEndpoint('http/protobuf', env), 'http://collector:4318/v1/traces');
  assert.equal(otlpTracesEndpoint('http/json', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base' }), 'http://c:4318/base/v1/traces');
  assert.equal(otlpTracesEndpoint('grpc', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' }), 'http://collector:4317');
  assert.equal(otlpTracesEndpoint('http/protobuf', { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://other:4318' }), 'http://other:4318');
  assert.equal(otlpTracesEndpoint('grpc', {}), undefined);
});
