import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeJaeger, type JaegerSpan } from '../support/fake-jaeger.js';
import { SidecarProcess } from './support/sidecar-process.js';
import { recentRecord, syslogDatagram } from './support/records.js';

let udp: Socket;
let jaeger: FakeJaeger;
let sidecar: SidecarProcess | null = null;

beforeAll(async () => {
  udp = createSocket('udp4');
  jaeger = await new FakeJaeger().start();
});
afterAll(async () => {
  udp.close();
  await jaeger.stop();
});
afterEach(async () => {
  await sidecar?.stop('SIGKILL');
  sidecar = null;
  jaeger.spans.length = 0;
});

function send(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => udp.send(text, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
}

function assertRetriedRequest(spans: JaegerSpan[], record: ReturnType<typeof recentRecord>): void {
  const server = spans.find((span) => span.spanId === record.sid)!;
  const clients = spans.filter((span) => span.parentSpanId === record.sid);
  expect(server).toMatchObject({ traceId: record.tid, parentSpanId: '', operationName: 'GET /api/items', serviceName: 'ingress-nginx' });
  expect(server.tags).toMatchObject({ 'span.kind': 'server', 'http.response.status_code': 200, 'nginx.ingress.name': 'shop-ingress', 'nginx.ingress.service.port': 8080 });
  expect(server.references).toEqual([{ refType: 'FOLLOWS_FROM', traceId: record.ltid, spanId: record.lsid }]);
  expect(server.durationUs).toBe(100_000n);
  expect(server.startTimeUs).toBe(BigInt(Math.round(Number(record.end) * 1000) - 100) * 1000n);
  expect(clients).toHaveLength(2);
  const last = clients.find((span) => span.spanId === record.cid)!;
  const first = clients.find((span) => span.spanId !== record.cid)!;
  expect(first.tags).toMatchObject({ 'span.kind': 'client', 'http.response.status_code': 502, error: true, 'otel.status_code': 'ERROR' });
  expect(last.tags).toMatchObject({ 'span.kind': 'client', 'http.request.resend_count': 1, 'server.address': '10.0.0.8' });
  expect(first.startTimeUs + first.durationUs).toBe(last.startTimeUs);
}

const retriedRecord = () =>
  recentRecord(
    {
      ltid: '0af7651916cd43dd8448eb211c80319c',
      lsid: 'b9c7c989f97918e1',
      ua_addr: '10.0.0.7:8080, 10.0.0.8:8080',
      ua_st: '502, 200',
      ua_ct: '0.001, 0.001',
      ua_ht: '0.010, 0.020',
      ua_rt: '0.010, 0.030',
    },
    100,
  );

describe('the sidecar bin exporting to Jaeger', () => {
  it('sends Thrift batches over UDP to the agent (emitBatch, binary protocol)', async () => {
    sidecar = await SidecarProcess.start({
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_EXPORTER_JAEGER_AGENT_HOST: '127.0.0.1',
      OTEL_EXPORTER_JAEGER_AGENT_PORT: String(jaeger.agentPort),
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    const record = retriedRecord();
    await send(sidecar.udpPort, syslogDatagram(record));
    assertRetriedRequest(await jaeger.waitForSpans(3), record);
    expect(jaeger.decodeErrors).toEqual([]);
  });

  it('POSTs Thrift batches to the collector endpoint /api/traces', async () => {
    sidecar = await SidecarProcess.start({
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_EXPORTER_JAEGER_ENDPOINT: jaeger.collectorUrl,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    const record = retriedRecord();
    await send(sidecar.udpPort, syslogDatagram(record));
    assertRetriedRequest(await jaeger.waitForSpans(3), record);
    expect(await sidecar.metricValue('njs_tracing_spans_exported_total', { exporter: 'jaeger' })).toBe(3);
  });
});
