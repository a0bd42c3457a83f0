/**
 * `njs-tracing report --jaeger URL`: the real bin against a test server that
 * speaks Jaeger's query API (GET /api/traces?service=…&limit=…, answering the
 * documented JSON). The traces are the ones an ingress with an instrumented
 * app produces; the report must see the same layers as from the OTLP file.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../scripts/build-report.mjs';
import type { Report } from '../../src/report/analyze.js';
import { parseJaegerJson } from '../../src/report/read-jaeger.js';
import { ingressTrace, span, toJaegerJson, toOtlpJsonLines } from './fixtures.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/njs-tracing.js', import.meta.url));

function traceWithApp(traceId: string, dbMs: number) {
  const attempt = 'c' + traceId.slice(0, 15);
  return ingressTrace(
    traceId,
    [{ spanId: attempt, startMs: 2, endMs: 98, attributes: { 'nginx.upstream.connect_time_ms': 0, 'nginx.upstream.header_time_ms': 96, 'nginx.upstream.response_time_ms': 96 } }],
    [
      span({ spanId: 'b' + traceId.slice(0, 15), parentSpanId: attempt, service: 'frontend', kind: 'server', name: 'GET /cart/{id}', startMs: 3, endMs: 97 }),
      span({ spanId: 'd' + traceId.slice(0, 15), parentSpanId: 'b' + traceId.slice(0, 15), service: 'frontend', kind: 'client', name: 'SELECT', startMs: 10, endMs: 10 + dbMs, attributes: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT 1' } }),
    ],
  );
}

const SPANS = [
  ...traceWithApp('1'.repeat(32), 80),
  ...traceWithApp('2'.repeat(32), 70),
  // A 64-bit Jaeger trace id: Jaeger drops its leading zeros.
  ...traceWithApp('00000000000000003333333333333333', 75),
];

describe('njs-tracing report reading Jaeger', () => {
  let server: Server;
  let base: string;
  const requests: URL[] = [];
  let dir: string;

  beforeAll(async () => {
    await buildReport();
    dir = mkdtempSync(join(tmpdir(), 'njs-tracing-report-'));
    const document = toJaegerJson(SPANS) as { data: Array<{ traceID: string; spans: Array<{ traceID: string }> }> };
    for (const trace of document.data) {
      const short = trace.traceID.replace(/^0+/, '');
      trace.traceID = short;
      trace.spans.forEach((s) => (s.traceID = short));
    }
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push(url);
      if (url.pathname !== '/jaeger/api/traces') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/jaeger`;
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks the query API for the service and limit given, and reports routes and layers', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'report', '--jaeger', base, '--service', 'ingress-nginx', '--limit', '20', '--json']);
    expect(requests.at(-1)!.searchParams.get('service')).toBe('ingress-nginx');
    expect(requests.at(-1)!.searchParams.get('limit')).toBe('20');
    const report = JSON.parse(stdout) as Report;
    expect(report.traces).toBe(3);
    expect(report.routes.map((r) => [r.route, r.traces, r.tracesWithApp])).toEqual([['GET /cart/{id}', 3, 3]]);
    expect(report.bottlenecks[0]).toMatchObject({ layer: 'call:frontend→postgresql', route: 'GET /cart/{id}' });
    expect(report.bottlenecks[0].exampleTraceIds[0]).toBe('1'.repeat(32));
    expect(Object.keys(report.waterfalls)).toHaveLength(1);
  });

  it('finds the same layers in the Jaeger JSON as in OTLP/JSON of the same spans', async () => {
    const otlp = join(dir, 'spans.jsonl');
    writeFileSync(otlp, toOtlpJsonLines(SPANS));
    const jaegerFile = join(dir, 'jaeger.json');
    writeFileSync(jaegerFile, JSON.stringify(toJaegerJson(SPANS)));
    const [fromOtlp, fromJaeger] = await Promise.all(
      [otlp, jaegerFile].map(async (file) => JSON.parse((await run(process.execPath, [BIN, 'report', file, '--json'])).stdout) as Report),
    );
    expect(fromJaeger.routes).toEqual(fromOtlp.routes);
  });

  it('reads kind, parent, service, tags and errors from the documented fields', () => {
    const document = toJaegerJson([span({ spanId: '00000000000000aa', parentSpanId: '00000000000000bb', kind: 'client', service: 'orders', error: true, startMs: 1, endMs: 3, attributes: { 'db.system.name': 'postgresql', rows: 4 } })]);
    const [parsed] = parseJaegerJson(document).spans;
    expect(parsed).toMatchObject({ kind: 'client', service: 'orders', parentSpanId: '00000000000000aa'.replace('aa', 'bb'), error: true, attributes: { 'db.system.name': 'postgresql', rows: 4 } });
    expect(parsed.endUs - parsed.startUs).toBe(2000);
  });

  it('exits 1 with a message when the query API answers an error', async () => {
    const result = await run(process.execPath, [BIN, 'report', '--jaeger', `${base}/missing`]).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toMatch(/answered 404/);
  });
});
