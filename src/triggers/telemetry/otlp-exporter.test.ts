// Only the chosen protocol's exporter package is loaded (the span trees each one exports are
// tested end to end in test/e2e/serve-tracing.test.ts). Module loads are observed with a
// `node:module` load hook, registered before anything OpenTelemetry is imported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerHooks } from 'node:module';

const loaded: string[] = [];
registerHooks({ load: (url, context, next) => { loaded.push(url); return next(url, context); } });
const { createOtlpTraceExporter } = await import('./otlp-exporter.ts');

/** The `@opentelemetry/exporter-trace-otlp-*` packages loaded so far. */
function exporterPackages(): string[] {
  return [...new Set(loaded.flatMap((url) => /\/@opentelemetry\/(exporter-trace-otlp-[a-z]+)\//.exec(url)?.[1] ?? []))].sort();
}

test('each protocol loads its own exporter package, and no other', async () => {
  assert.deepEqual(exporterPackages(), [], 'nothing before an exporter is asked for');
  await (await createOtlpTraceExporter('http/json')).shutdown();
  assert.deepEqual(exporterPackages(), ['exporter-trace-otlp-http']);
  await (await createOtlpTraceExporter('http/protobuf')).shutdown();
  assert.deepEqual(exporterPackages(), ['exporter-trace-otlp-http', 'exporter-trace-otlp-proto']);
  await (await createOtlpTraceExporter('grpc')).shutdown();
  assert.deepEqual(exporterPackages(), ['exporter-trace-otlp-grpc', 'exporter-trace-otlp-http', 'exporter-trace-otlp-proto']);
});
