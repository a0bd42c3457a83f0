import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseRecord } from '../../../src/record/parse.js';
import { ExportPipeline, type ExportPipelineOptions } from '../../../src/sidecar/export/export-pipeline.js';
import { SidecarMetrics } from '../../../src/sidecar/observe/metrics.js';
import { recordToSpans } from '../../../src/sidecar/map/record-to-spans.js';
import { buildResource, TRACING_SCOPE } from '../../../src/sidecar/map/resource.js';
import { metricValue } from '../support/sidecar-process.js';
import { recordLine } from '../support/records.js';

/** An exporter whose backend can be switched up and down. */
class SwitchableExporter implements SpanExporter {
  up = true;
  calls = 0;
  readonly received: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls++;
    if (!this.up) return void setTimeout(() => done({ code: ExportResultCode.FAILED, error: new Error('backend down') }), 1);
    this.received.push(...spans);
    setTimeout(() => done({ code: ExportResultCode.SUCCESS }), 1);
  }
  async shutdown(): Promise<void> {}
}

const parsed = parseRecord(recordLine());
if (!parsed.ok) throw new Error(parsed.reason);
const oneRecordSpans = recordToSpans(parsed.record, {
  resource: buildResource({ serviceName: 'test', resourceAttributes: {} }),
  scope: TRACING_SCOPE,
  queryRedaction: 'all',
});

function pipeline(exporter: SpanExporter, options: Partial<ExportPipelineOptions> = {}) {
  const metrics = new SidecarMetrics(10, false);
  const created = new ExportPipeline({
    name: 'test',
    exporter,
    maxQueueSize: 100,
    maxExportBatchSize: 10,
    scheduledDelayMs: 20,
    exportTimeoutMs: 1000,
    maxRetryBackoffMs: 40,
    metrics,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  return { pipeline: created, metrics: async (name: string, labels = {}) => metricValue(await metrics.registry.metrics(), name, labels) };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('export pipeline', () => {
  it('exports queued spans in batches of at most maxExportBatchSize after the scheduled delay', async () => {
    const exporter = new SwitchableExporter();
    const { pipeline: queue, metrics } = pipeline(exporter);
    for (let i = 0; i < 12; i++) queue.offer(oneRecordSpans); // 24 spans
    await until(() => exporter.received.length === 24);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the last callback
    expect(exporter.calls).toBe(3);
    expect(await metrics('njs_tracing_spans_exported_total')).toBe(24);
    expect(queue.depth).toBe(0);
  });

  it('drops and counts spans that do not fit in the queue, so memory stays bounded', async () => {
    const exporter = new SwitchableExporter();
    exporter.up = false;
    const { pipeline: queue, metrics } = pipeline(exporter);
    for (let i = 0; i < 80; i++) queue.offer(oneRecordSpans); // 160 spans into a queue of 100
    expect(queue.depth).toBe(100);
    expect(await metrics('njs_tracing_spans_dropped_total', { reason: 'queue_full' })).toBe(60);
    expect(await metrics('njs_tracing_queue_spans')).toBe(100);
    await queue.shutdown(Date.now() + 50);
  });

  it('keeps a failed batch, retries it with backoff and delivers everything once the backend is back', async () => {
    const exporter = new SwitchableExporter();
    exporter.up = false;
    const { pipeline: queue, metrics } = pipeline(exporter);
    for (let i = 0; i < 20; i++) queue.offer(oneRecordSpans);
    await until(() => exporter.calls >= 8); // the 4 batches failed, then were retried
    expect(await metrics('njs_tracing_export_errors_total')).toBeGreaterThanOrEqual(4);
    exporter.up = true;
    await until(() => exporter.received.length === 40);
    const ids = exporter.received.map((span) => span.spanContext().spanId);
    expect(ids.slice(0, 2)).toEqual(oneRecordSpans.map((span) => span.spanContext().spanId));
    expect(await metrics('njs_tracing_spans_dropped_total')).toBe(0);
  });

  it('backs off between retries instead of hammering a down backend', async () => {
    const exporter = new SwitchableExporter();
    exporter.up = false;
    const { pipeline: queue } = pipeline(exporter, { maxRetryBackoffMs: 200 });
    queue.offer(oneRecordSpans);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // 20 ms delay, then retries after ~100 and ~200 ms (with jitter): a handful, not hundreds.
    expect(exporter.calls).toBeGreaterThanOrEqual(2);
    expect(exporter.calls).toBeLessThanOrEqual(6);
    await queue.shutdown(Date.now() + 10);
  });

  it('treats an export that never answers as failed after the export timeout', async () => {
    let calls = 0;
    const hanging: SpanExporter = { export: () => void calls++, shutdown: async () => undefined };
    const { pipeline: queue, metrics } = pipeline(hanging, { exportTimeoutMs: 30 });
    queue.offer(oneRecordSpans);
    await until(() => calls >= 2);
    expect(await metrics('njs_tracing_export_errors_total')).toBeGreaterThanOrEqual(1);
    await queue.shutdown(Date.now() + 10);
  });

  it('keeps counting a timed-out request against the concurrency limit until the exporter calls back', async () => {
    const callbacks: Array<(result: ExportResult) => void> = [];
    const held: SpanExporter = { export: (_spans, done) => void callbacks.push(done), shutdown: async () => undefined };
    const { pipeline: queue, metrics } = pipeline(held, { exportTimeoutMs: 30, maxRetryBackoffMs: 10, maxConcurrentExports: 1 });
    queue.offer(oneRecordSpans);
    await until(() => callbacks.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // ten timeouts' worth
    expect(callbacks).toHaveLength(1); // the abandoned request still holds the only slot
    expect(await metrics('njs_tracing_export_errors_total')).toBe(1);
    expect(queue.depth).toBe(2); // its batch is queued again for the retry
    callbacks[0]({ code: ExportResultCode.FAILED, error: new Error('aborted') });
    await until(() => callbacks.length === 2); // the slot is free: the retry goes out
    callbacks[1]({ code: ExportResultCode.SUCCESS });
    await until(() => queue.depth === 0);
    await queue.shutdown(Date.now() + 10);
  });

  it('waits at shutdown for a timed-out request to free its slot, then flushes', async () => {
    const callbacks: Array<(result: ExportResult) => void> = [];
    const held: SpanExporter = { export: (_spans, done) => void callbacks.push(done), shutdown: async () => undefined };
    const { pipeline: queue } = pipeline(held, { exportTimeoutMs: 20, scheduledDelayMs: 1, maxConcurrentExports: 1 });
    queue.offer(oneRecordSpans);
    await until(() => callbacks.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    setTimeout(() => callbacks[0]({ code: ExportResultCode.FAILED }), 50);
    const stopping = queue.shutdown(Date.now() + 2000);
    await until(() => callbacks.length === 2);
    callbacks[1]({ code: ExportResultCode.SUCCESS });
    await stopping;
    expect(queue.depth).toBe(0);
  });

  it('flushes everything queued on shutdown, and drops and counts what cannot be sent by the deadline', async () => {
    const exporter = new SwitchableExporter();
    const { pipeline: queue } = pipeline(exporter, { scheduledDelayMs: 60_000 });
    for (let i = 0; i < 30; i++) queue.offer(oneRecordSpans);
    await queue.shutdown(Date.now() + 2000);
    expect(exporter.received).toHaveLength(60);

    const down = new SwitchableExporter();
    down.up = false;
    const { pipeline: stuck, metrics } = pipeline(down, { scheduledDelayMs: 60_000 });
    stuck.offer(oneRecordSpans);
    const started = Date.now();
    await stuck.shutdown(Date.now() + 150);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await metrics('njs_tracing_spans_dropped_total', { reason: 'shutdown' })).toBe(2);
    stuck.offer(oneRecordSpans);
    expect(stuck.depth).toBe(0);
  });

  it('rejects a batch size larger than the queue, naming both values', () => {
    expect(() => pipeline(new SwitchableExporter(), { maxQueueSize: 5, maxExportBatchSize: 6 })).toThrow(
      'maxExportBatchSize (6) must not exceed maxQueueSize (5)',
    );
  });
});
