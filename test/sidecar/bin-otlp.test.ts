import { createSocket, type Socket } from 'node:dgram';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeOtlpReceiver, OTLP_KIND, OTLP_STATUS } from '../support/fake-otlp.js';
import { metricValue as sidecarMetric, SidecarProcess } from './support/sidecar-process.js';
import { recentRecord, recordLine, syslogDatagram } from './support/records.js';

let udp: Socket;
let otlp: FakeOtlpReceiver;
let sidecar: SidecarProcess | null = null;
let dir: string;

beforeAll(async () => {
  udp = createSocket('udp4');
  dir = await mkdtemp(join(tmpdir(), 'njs-tracing-bin-'));
});
afterAll(async () => {
  udp.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await sidecar?.stop('SIGKILL');
  sidecar = null;
  await otlp?.stop();
});

function send(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => udp.send(text, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
}

describe('the sidecar bin exporting OTLP/HTTP protobuf', () => {
  it('turns a syslog datagram into a SERVER and a CLIENT span with exact ids, parent, times and resource', async () => {
    otlp = await new FakeOtlpReceiver().start();
    sidecar = await SidecarProcess.start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=shop',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      POD_NAME: 'ingress-nginx-0',
    });
    const record = recentRecord({ pid: '1111111111111111', ltid: '0af7651916cd43dd8448eb211c80319c', lsid: 'b9c7c989f97918e1' }, 40);
    await send(sidecar.udpPort, syslogDatagram(record));
    const spans = await otlp.waitForSpans(2);
    const server = spans.find((span) => span.kind === OTLP_KIND.SERVER)!;
    const client = spans.find((span) => span.kind === OTLP_KIND.CLIENT)!;
    expect(server).toMatchObject({ traceId: record.tid, spanId: record.sid, parentSpanId: '1111111111111111', name: 'GET /api/items' });
    expect(client).toMatchObject({ traceId: record.tid, spanId: record.cid, parentSpanId: record.sid, name: 'GET' });
    expect(server.endTimeUnixNano).toBe(BigInt(Math.round(Number(record.end) * 1000)) * 1_000_000n);
    expect(server.endTimeUnixNano - server.startTimeUnixNano).toBe(40_000_000n);
    expect(server.links).toEqual([
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b9c7c989f97918e1', attributes: { 'tracing.link.reason': 'distrusted_incoming_context' } },
    ]);
    expect(server.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.path': '/api/items/42' });
    expect(server.statusCode).toBe(OTLP_STATUS.UNSET);
    expect(server.resource).toMatchObject({
      'service.name': 'ingress-nginx',
      'deployment.environment.name': 'test',
      'k8s.pod.name': 'ingress-nginx-0',
    });
    expect(server.scope.name).toBe('njs-tracing');
    expect(otlp.headersSeen[0]['x-tenant']).toBe('shop');
  });

  it('reads records from the span log file and exports them', async () => {
    otlp = await new FakeOtlpReceiver().start();
    const path = join(dir, 'spans.log');
    await writeFile(path, '');
    sidecar = await SidecarProcess.start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      NJS_TRACING_FILE: path,
      NJS_TRACING_FILE_POLL_MS: '20',
    });
    const records = [recentRecord({ st: '502', ua_st: '502' }), recentRecord()];
    await appendFile(path, records.map((record) => recordLine(record) + '\n').join(''));
    const spans = await otlp.waitForSpans(4);
    const failed = spans.find((span) => span.spanId === records[0].sid)!;
    expect(failed.statusCode).toBe(OTLP_STATUS.ERROR);
    expect(spans.map((span) => span.traceId).sort()).toEqual([records[0].tid, records[0].tid, records[1].tid, records[1].tid].sort());
    expect(await sidecar.metricValue('njs_tracing_records_received_total', { sink: 'file' })).toBe(2);
  });

  it('flushes queued spans on SIGTERM and exits 0', async () => {
    otlp = await new FakeOtlpReceiver().start();
    sidecar = await SidecarProcess.start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '600000', // only the shutdown flush can deliver these
    });
    for (let i = 0; i < 50; i++) await send(sidecar.udpPort, syslogDatagram(recentRecord()));
    await sidecar.waitForLog(() => true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(otlp.spanCount).toBe(0);
    const exit = await sidecar.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(otlp.spanCount).toBe(100);
    expect(sidecar.logs.map((line) => line.msg)).toContain('shutdown complete');
  });

  it('serves Prometheus metrics, health and readiness', async () => {
    otlp = await new FakeOtlpReceiver().start();
    sidecar = await SidecarProcess.start({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '20' });
    await send(sidecar.udpPort, syslogDatagram(recentRecord({ bad: 'traceparent', err: 'E_TEST' }, 30)));
    await send(sidecar.udpPort, 'not a record');
    await otlp.waitForSpans(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const text = await sidecar.metrics();
    const base = `http://127.0.0.1:${sidecar.metricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const value = (name: string, labels = {}) => sidecarMetric(text, name, labels);
    expect(value('njs_tracing_records_received_total', { sink: 'udp' })).toBe(2);
    expect(value('njs_tracing_records_malformed_total', { sink: 'udp', reason: 'not_json' })).toBe(1);
    expect(value('njs_tracing_spans_exported_total', { exporter: 'otlp' })).toBe(2);
    expect(value('njs_tracing_export_duration_seconds_count', { exporter: 'otlp' })).toBeGreaterThanOrEqual(1);
    expect(value('njs_tracing_queue_spans', { exporter: 'otlp' })).toBe(0);
    expect(value('njs_tracing_rejected_trace_headers_total', { header: 'traceparent' })).toBe(1);
    expect(value('njs_tracing_njs_errors_total', { code: 'e_test' })).toBe(1);
    for (const layer of ['total', 'nginx', 'upstream_connect', 'upstream_header', 'upstream_response']) {
      expect(value('njs_tracing_layer_duration_seconds_count', { layer, ingress: 'shop-ingress', service: 'items', status_class: '2xx' }), layer).toBe(1);
    }
    expect(value('njs_tracing_layer_duration_seconds_sum', { layer: 'total' })).toBeCloseTo(0.03, 3);
    expect(value('njs_tracing_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
