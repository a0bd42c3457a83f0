/**
 * An uninstrumented app behind real NGINX: the traces hold only the ingress
 * SERVER and CLIENT spans (through the sidecar's otlp-file exporter), and the
 * report still splits each request into NGINX and upstream layers, with the
 * upstream's own slowness (it answers after 40 ms) on top.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyze, type Report } from '../../src/report/analyze.js';
import { parseOtlpJson } from '../../src/report/read-otlp-json.js';
import { buildTraces } from '../../src/report/trace.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { waitFor } from '../sidecar/support/e2e.js';
import { SidecarProcess } from '../sidecar/support/sidecar-process.js';

const REQUESTS = 12;

describeEachRuntime('report: an uninstrumented app gets the ingress view', (runtime) => {
  let nginx: Nginx;
  let sidecar: SidecarProcess;
  let dir: string;
  let report: Report;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'njs-tracing-plain-'));
    const otlpFile = join(dir, 'spans.jsonl');
    nginx = await startNginx({
      runtime,
      http: `
        include tracing-http.conf;
        server {
            listen 127.0.0.1:{{port:main}};
            location /plain/ { set $tracing_route "/plain/{id}"; include tracing-location.conf; proxy_pass http://{{upstream:app}}; }
        }`,
      upstreams: { app: { delayMs: 40 } },
    });
    sidecar = await SidecarProcess.start({
      NJS_TRACING_UDP_ADDRESS: '',
      NJS_TRACING_FILE: `${nginx.prefix}/logs/spans.log`,
      NJS_TRACING_FILE_START: 'beginning',
      NJS_TRACING_FILE_POLL_MS: '50',
      OTEL_TRACES_EXPORTER: 'otlp-file',
      NJS_TRACING_OTLP_FILE_PATH: otlpFile,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    for (let i = 0; i < REQUESTS; i++) expect((await fetch(nginx.url(`/plain/${i}`))).status).toBe(200);
    await nginx.stop();
    const exported = () => parseOtlpJson(readFileSync(otlpFile, 'utf8')).spans.length;
    // A SERVER and a CLIENT span per request.
    await waitFor(() => (existsSync(otlpFile) && exported() >= 2 * REQUESTS ? true : undefined), 15_000, 'spans not exported');
    await sidecar.stop();
    report = analyze(buildTraces(parseOtlpJson(readFileSync(otlpFile, 'utf8')).spans), otlpFile);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('groups every request under its route, with no app spans', () => {
    expect(report.routes.map((r) => [r.route, r.traces, r.tracesWithApp])).toEqual([['GET /plain/{id}', REQUESTS, 0]]);
  });

  it('names the upstream as the bottleneck and keeps the sidecar-style ingress figures', () => {
    const [route] = report.routes;
    expect(report.bottlenecks[0].layer).toBe('upstream_ttfb');
    expect(route.layers[0].p50).toBeGreaterThanOrEqual(39);
    expect(route.ingress.upstream_header.count).toBe(REQUESTS);
    // Both are NGINX millisecond times read from different moments of its
    // cached clock, so the total may trail the upstream's by one tick.
    expect(route.ingress.total.p50).toBeGreaterThanOrEqual(route.ingress.upstream_header.p50 - 1);
    // The layers add up to the request's time at the ingress.
    const layered = route.layers.reduce((sum, layer) => sum + layer.sum, 0);
    expect(layered).toBeCloseTo(route.total.sum, 6);
  });
});
