import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import { SidecarProcess } from './support/sidecar-process.js';
import { recentRecord, syslogDatagram } from './support/records.js';

let udp: Socket;
let otlp: FakeOtlpReceiver;
let sidecar: SidecarProcess | null = null;

beforeAll(() => {
  udp = createSocket('udp4');
});
afterAll(() => udp.close());
afterEach(async () => {
  await sidecar?.stop('SIGKILL');
  sidecar = null;
  await otlp?.stop();
});

async function sendRecords(count: number): Promise<string[]> {
  const traceIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const record = recentRecord();
    traceIds.push(record.tid!);
    await new Promise<void>((resolve) => udp.send(syslogDatagram(record), sidecar!.udpPort, '127.0.0.1', () => resolve()));
    // Pace the burst a little so the kernel buffer, not this test, is what we measure.
    if (i % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return traceIds;
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fastRetries = {
  OTEL_BSP_SCHEDULE_DELAY: '20',
  OTEL_EXPORTER_OTLP_TIMEOUT: '500',
  OTEL_BSP_EXPORT_TIMEOUT: '1000',
  NJS_TRACING_EXPORT_MAX_BACKOFF_MS: '200',
};

describe('backend outages', () => {
  it('holds spans while the backend is down at start and delivers them when it comes up', async () => {
    otlp = await new FakeOtlpReceiver().start();
    const port = otlp.port;
    await otlp.stop();
    sidecar = await SidecarProcess.start({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`, ...fastRetries });
    const traceIds = await sendRecords(20);
    await until(async () => (await sidecar!.metricValue('njs_tracing_export_errors_total')) >= 1);
    expect(await sidecar.metricValue('njs_tracing_queue_spans')).toBe(40);
    await otlp.start(port);
    const spans = await otlp.waitForSpans(40, 15_000);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set(traceIds));
    expect(await sidecar.metricValue('njs_tracing_spans_dropped_total')).toBe(0);
    expect(sidecar.logs.some((line) => line.msg === 'export recovered')).toBe(true);
  });

  it('drops and counts what overflows the queue while the backend is down mid-run, stays small, and recovers', async () => {
    otlp = await new FakeOtlpReceiver().start();
    const port = otlp.port;
    sidecar = await SidecarProcess.start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
      OTEL_BSP_MAX_QUEUE_SIZE: '1000',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '200',
      ...fastRetries,
    });
    await sendRecords(50);
    await otlp.waitForSpans(100);

    await otlp.stop();
    await sendRecords(3000); // 6000 spans into a queue of 1000
    await until(async () => (await sidecar!.metricValue('njs_tracing_records_received_total')) === 3050);
    const dropped = await sidecar.metricValue('njs_tracing_spans_dropped_total', { reason: 'queue_full' });
    expect(dropped).toBe(5000);
    expect(await sidecar.metricValue('njs_tracing_queue_spans')).toBe(1000);
    expect(await sidecar.metricValue('njs_tracing_process_resident_memory_bytes')).toBeLessThan(200 * 1024 * 1024);

    otlp.spans.length = 0;
    otlp.spanCount = 0;
    await otlp.start(port);
    await otlp.waitForSpans(1000, 15_000);
    const after = await sendRecords(10);
    await until(() => after.every((id) => otlp.spans.some((span) => span.traceId === id)));
    expect(await sidecar.metricValue('njs_tracing_queue_spans')).toBe(0);
  });
});
