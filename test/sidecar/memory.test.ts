/**
 * Memory as deployed: the sidecar started with the chart's NODE_OPTIONS (a
 * capped heap) and its default queues, catching up a large span file (the
 * reader is as far ahead of the exporter as it can get: more than 2x what it
 * exports per second) through a backend outage, stays under 200 MB of RSS and
 * loses nothing. And a queue configured larger than the heap holds is lowered,
 * so the cap turns into backpressure, never into a crash.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_HEAP_BYTES, HEAP_BYTES_PER_SPAN, queueSizeForHeap, RECOMMENDED_NODE_OPTIONS } from '../../src/sidecar/export/queue-memory.js';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import { recentRecord, recordLine } from './support/records.js';
import { SidecarProcess } from './support/sidecar-process.js';

const RECORDS = 150_000;

function peakRssBytes(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

describe('sidecar memory', () => {
  let dir = '';
  let otlp: FakeOtlpReceiver | null = null;
  let sidecar: SidecarProcess | null = null;
  afterEach(async () => {
    await sidecar?.stop('SIGKILL');
    await otlp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    sidecar = otlp = null;
    dir = '';
  });

  it('the chart and the Dockerfile start it with the heap cap the queues are sized for', () => {
    const values = parseYaml(readFileSync(new URL('../../helm/njs-tracing/values.yaml', import.meta.url), 'utf8'));
    expect(values.global.tracing.sidecar.nodeOptions).toBe(RECOMMENDED_NODE_OPTIONS);
    expect(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')).toContain(`ENV NODE_OPTIONS="${RECOMMENDED_NODE_OPTIONS}"`);
  });

  it('queues are lowered to what the heap holds, never below one batch', () => {
    const mb = 2 ** 20;
    expect(queueSizeForHeap(8192, 176 * mb)).toBe(8192); // the recommended cap (128 MB old space + the young generation) holds the default queue
    expect(queueSizeForHeap(100_000, 152 * mb)).toBe(Math.floor((152 * mb - BASE_HEAP_BYTES) / HEAP_BYTES_PER_SPAN));
    expect(queueSizeForHeap(100_000, 4096 * mb)).toBe(100_000);
    expect(queueSizeForHeap(8192, 40 * mb)).toBe(512);
  });

  it('a backlog read through a backend outage: RSS < 200 MB, every span exported once, nothing dropped', async () => {
    dir = mkdtempSync(join(tmpdir(), 'njs-tracing-memory-'));
    const file = join(dir, 'spans.log');
    const lines: string[] = [];
    for (let i = 0; i < RECORDS; i++) lines.push(recordLine(recentRecord({ path: `/api/items/${i % 5000}`, cpt: String(1024 + (i % 60_000)) })));
    writeFileSync(file, lines.join('\n') + '\n');

    otlp = await new FakeOtlpReceiver().start();
    otlp.keepSpans = false;
    otlp.refuseWith = 503; // the outage: every export is answered "unavailable"
    sidecar = await SidecarProcess.start({
      NODE_OPTIONS: RECOMMENDED_NODE_OPTIONS,
      NJS_TRACING_FILE: file,
      NJS_TRACING_FILE_START: 'beginning',
      NJS_TRACING_UDP_ADDRESS: '',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
      NJS_TRACING_EXPORT_MAX_BACKOFF_MS: '200',
    });
    const pid = sidecar.child.pid!;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await sidecar.metricValue('njs_tracing_queue_spans')).toBe(8192); // full: the reader waits
    otlp.refuseWith = null;
    await otlp.waitForSpans(RECORDS * 2, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(otlp.spanCount).toBe(RECORDS * 2);
    expect(await sidecar.metricValue('njs_tracing_spans_dropped_total')).toBe(0);
    expect(peakRssBytes(pid)).toBeLessThan(200 * 2 ** 20);
  }, 180_000);

  it('a queue larger than the capped heap holds is lowered, and logged', async () => {
    otlp = await new FakeOtlpReceiver().start();
    sidecar = await SidecarProcess.start({
      NODE_OPTIONS: '--max-old-space-size=64',
      OTEL_BSP_MAX_QUEUE_SIZE: '200000',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
    });
    const warning = await sidecar.waitForLog((line) => line.msg.startsWith('OTEL_BSP_MAX_QUEUE_SIZE lowered'));
    expect(warning).toMatchObject({ configured: 200_000 });
    expect((warning as unknown as { used: number }).used).toBeLessThan(200_000);
  }, 60_000);
});
