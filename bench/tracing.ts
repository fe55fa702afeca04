// The cost of OpenTelemetry tracing in `wasmlet serve`: the same app served twice in one run,
//   untraced  no OTEL_* variable: OpenTelemetry is not even imported;
//   traced    OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP sink (a third process that
//             answers 200 to every export), so every request is a span tree (request, instantiate,
//             guest run) exported in batches, over OTEL_EXPORTER_OTLP_PROTOCOL = --protocol
//             (http/protobuf, the default, or http/json);
// each under `wrk -t2 -cN -dSs --latency`, alternating in every round; medians of the rounds.
// The app is examples/hello (the C WAGI hello): the cheapest request, where overhead shows most.
//
//   node_modules/.bin/node bench/tracing.ts [--rounds N] [--duration S] [--connections N] [--workers N]
//                                            [--protocol http/protobuf|http/json]
//
// The machine is shared: the load average is printed with the results; rerun when it is high.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, loadavg, median, startChild, stopChild, wasmletServer, wrk, type WrkResult } from './http-bench.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const APP = join(root, 'examples/hello');

/**
 * An OTLP/HTTP sink: drains every request and answers 200 with an empty ExportTraceServiceResponse
 * in the request's encoding (`{}` in JSON, no bytes in protobuf); prints the spans' bytes on exit.
 */
function otlpSink(port: number): void {
  let bytes = 0;
  let exports = 0;
  createServer((req, res) => {
    req.on('data', (d: Buffer) => { bytes += d.length; });
    req.on('end', () => {
      exports++;
      const json = req.headers['content-type'] === 'application/json';
      res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  }).listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
  process.on('SIGTERM', () => { process.stderr.write(`otlp sink: ${exports} exports, ${(bytes / 1048576).toFixed(1)} MiB\n`); process.exit(0); });
}

async function driver(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '32' },
      workers: { type: 'string', default: '2' },
      protocol: { type: 'string', default: 'http/protobuf' },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  if (!['http/protobuf', 'http/json'].includes(values.protocol)) throw new Error(`--protocol ${values.protocol}: http/protobuf or http/json`);
  const [sinkPort, plainPort, tracedPort] = [await freePort(), await freePort(), await freePort()];
  const sink = await startChild(SELF, root, ['sink', String(sinkPort)], `http://127.0.0.1:${sinkPort}/`);
  const serveArgs = (port: number) => [APP, '--listen', `127.0.0.1:${port}`, '--workers', values.workers];
  const servers: { name: string; url: string; proc: ChildProcess }[] = [
    { name: 'untraced', url: `http://127.0.0.1:${plainPort}/hello`, proc: (await startChild(SELF, root, ['wasmlet', '-', ...serveArgs(plainPort)], `http://127.0.0.1:${plainPort}/hello`)).proc },
    { name: 'traced', url: `http://127.0.0.1:${tracedPort}/hello`, proc: (await startChild(SELF, root, ['wasmlet', `http://127.0.0.1:${sinkPort}`, values.protocol, ...serveArgs(tracedPort)], `http://127.0.0.1:${tracedPort}/hello`)).proc },
  ];
  const results = new Map<string, WrkResult[]>(servers.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? servers : servers.toReversed();
    for (const server of order) {
      wrk(server.url, 1, connections); // warm-up
      const r = wrk(server.url, seconds, connections);
      results.get(server.name)!.push(r);
      console.log(`round ${round + 1} ${server.name.padEnd(8)} ${r.rps.toFixed(0)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}`);
    }
  }
  for (const s of servers) await stopChild(s.proc);
  await stopChild(sink.proc);
  console.log(`\nwasmlet serve examples/hello, --workers ${values.workers}, traced over ${values.protocol}, wrk -t2 -c${connections} -d${seconds}s, ${rounds} rounds (medians)`);
  console.log('| server   | req/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|');
  const rps: Record<string, number> = {};
  for (const s of servers) {
    const rs = results.get(s.name)!;
    rps[s.name] = median(rs.map((r) => r.rps));
    console.log(`| ${s.name.padEnd(8)} | ${rps[s.name]!.toFixed(0)} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} |`);
  }
  console.log(`\ntraced / untraced throughput: ${(rps.traced! / rps.untraced!).toFixed(3)}`);
  console.log(`load average at end: ${loadavg()}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, ...rest] = process.argv.slice(childAt + 1);
  if (kind === 'sink') {
    otlpSink(Number(rest[0]));
  } else if (kind === 'wasmlet') {
    // `-`: untraced (no OTEL_* variable at all); else the OTLP endpoint, then the protocol.
    for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_')) delete process.env[k];
    if (rest[0] !== '-') {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = rest[0];
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL = rest[1];
    }
    await wasmletServer(rest.slice(rest[0] === '-' ? 1 : 2));
  } else {
    throw new Error(`unknown child ${kind}`);
  }
} else {
  await driver();
}
