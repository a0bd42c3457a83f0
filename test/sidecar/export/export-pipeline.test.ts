/** The export pipeline's queue, retry schedule, concurrency and deadlines, on vitest's fake timers. */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExportPipeline, type ExportPipelineOptions } from '../../../src/sidecar/export/export-pipeline.js';
import type { BatchExporter, ExportOutcome } from '../../../src/sidecar/export/outcome.js';
import { SidecarMetrics } from '../../../src/sidecar/observe/metrics.js';
import { DeliveryTracker } from '../../../src/sidecar/receive/delivery.js';
import { metricValue } from '../support/sidecar-process.js';
import { spans } from '../support/spans.js';

const OK: ExportOutcome = { kind: 'ok', rejected: 0 };
const DOWN: ExportOutcome = { kind: 'retry', error: 'ECONNREFUSED' };

/** Answers each export after `latencyMs` with what `answer` says; an abort ends a call at once as a retry. */
class ScriptedExporter implements BatchExporter {
  calls: Array<{ at: number; size: number }> = [];
  readonly received: ReadableSpan[] = [];
  answer: (call: number) => ExportOutcome | 'hang' = () => OK;
  latencyMs = 1;
  aborted = 0;

  export(batch: ReadableSpan[], signal: AbortSignal): Promise<ExportOutcome> {
    const call = this.calls.push({ at: Date.now(), size: batch.length }) - 1;
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        this.aborted++;
        resolve({ kind: 'retry', error: 'aborted' });
      });
      const outcome = this.answer(call);
      if (outcome === 'hang') return;
      setTimeout(() => {
        if (outcome.kind === 'ok') this.received.push(...batch);
        resolve(outcome);
      }, this.latencyMs);
    });
  }
  async shutdown(): Promise<void> {}
}

const oneRecord = spans(); // SERVER + CLIENT

function pipeline(exporter: BatchExporter, options: Partial<ExportPipelineOptions> = {}) {
  const metrics = new SidecarMetrics(10, false);
  const created = new ExportPipeline({
    name: 'test',
    exporter,
    maxQueueSize: 100,
    maxExportBatchSize: 10,
    scheduledDelayMs: 20,
    exportTimeoutMs: 1000,
    maxRetryBackoffMs: 400,
    metrics,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  return { queue: created, metric: async (name: string, labels = {}) => metricValue(await metrics.registry.metrics(), name, labels) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('export pipeline', () => {
  it('exports full batches at once and the rest after the scheduled delay', async () => {
    const exporter = new ScriptedExporter();
    const { queue, metric } = pipeline(exporter);
    for (let i = 0; i < 12; i++) queue.offer(oneRecord, null); // 24 spans: two full batches and 4 spans
    expect(exporter.calls.map((call) => call.size)).toEqual([10, 10]);
    await vi.advanceTimersByTimeAsync(19);
    expect(exporter.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5);
    expect(exporter.calls.map((call) => call.size)).toEqual([10, 10, 4]);
    await vi.advanceTimersByTimeAsync(5);
    expect(await metric('njs_tracing_spans_exported_total')).toBe(24);
    expect(queue.depth).toBe(0);
  });

  it('drops and counts what does not fit, and the gauge never exceeds the maximum', async () => {
    const exporter = new ScriptedExporter();
    exporter.answer = () => 'hang';
    const { queue, metric } = pipeline(exporter);
    for (let i = 0; i < 80; i++) queue.offer(oneRecord, null); // 160 spans into a queue of 100
    expect(queue.depth).toBe(100);
    expect(queue.room()).toBe(0);
    expect(await metric('njs_tracing_spans_dropped_total', { reason: 'queue_full' })).toBe(60);
    expect(await metric('njs_tracing_queue_spans')).toBe(100);
    const stopping = queue.shutdown(Date.now() + 10);
    await vi.advanceTimersByTimeAsync(20);
    await stopping;
    expect(await metric('njs_tracing_queue_spans')).toBe(0);
  });

  it('retries a connection failure with growing backoff, first in line, and delivers everything when the backend is back', async () => {
    const exporter = new ScriptedExporter();
    let up = false;
    exporter.answer = () => (up ? OK : DOWN);
    const { queue, metric } = pipeline(exporter, { maxConcurrentExports: 1 });
    for (let i = 0; i < 5; i++) queue.offer(oneRecord, null);
    await vi.advanceTimersByTimeAsync(3000);
    // 100, 200, 400, 400, ... ms apart (jittered down to half): a handful of calls in 3 s, not hundreds.
    expect(exporter.calls.length).toBeGreaterThanOrEqual(7);
    expect(exporter.calls.length).toBeLessThanOrEqual(16);
    const gaps = exporter.calls.slice(1).map((call, i) => call.at - exporter.calls[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50);
    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(exporter.received.map((span) => span.spanContext().spanId)).toEqual(Array(5).fill(oneRecord.map((s) => s.spanContext().spanId)).flat());
    expect(await metric('njs_tracing_export_errors_total')).toBe(exporter.calls.length - 1);
    expect(await metric('njs_tracing_spans_dropped_total')).toBe(0);
  });

  it('waits exactly as long as Retry-After asks', async () => {
    const exporter = new ScriptedExporter();
    exporter.answer = (call) => (call === 0 ? { kind: 'retry', error: 'HTTP 429', retryAfterMs: 3000 } : OK);
    const { queue } = pipeline(exporter);
    queue.offer(oneRecord, null);
    await vi.advanceTimersByTimeAsync(21);
    expect(exporter.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2990);
    expect(exporter.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(exporter.calls).toHaveLength(2);
    expect(exporter.calls[1].at - exporter.calls[0].at).toBeGreaterThanOrEqual(3000);
  });

  it('drops a batch the backend refuses for good at once, counted by reason, and sends the spans behind it', async () => {
    const exporter = new ScriptedExporter();
    exporter.answer = (call) => (call === 0 ? { kind: 'drop', reason: 'http_400', error: 'HTTP 400' } : OK);
    const { queue, metric } = pipeline(exporter, { maxConcurrentExports: 1 });
    for (let i = 0; i < 10; i++) queue.offer(oneRecord, null);
    await vi.advanceTimersByTimeAsync(100);
    expect(exporter.calls).toHaveLength(2);
    expect(await metric('njs_tracing_spans_dropped_total', { reason: 'http_400' })).toBe(10);
    expect(await metric('njs_tracing_spans_exported_total')).toBe(10);
    expect(await metric('njs_tracing_export_errors_total')).toBe(0);
  });

  it('counts the spans a partial success rejected', async () => {
    const exporter = new ScriptedExporter();
    exporter.answer = () => ({ kind: 'ok', rejected: 3, message: 'too old' });
    const { queue, metric } = pipeline(exporter);
    for (let i = 0; i < 5; i++) queue.offer(oneRecord, null);
    await vi.advanceTimersByTimeAsync(10);
    expect(await metric('njs_tracing_spans_rejected_total')).toBe(3);
    expect(await metric('njs_tracing_spans_exported_total')).toBe(7);
  });

  it('aborts a request that outlives the export timeout and retries its batch', async () => {
    const exporter = new ScriptedExporter();
    exporter.answer = (call) => (call === 0 ? 'hang' : OK);
    const { queue, metric } = pipeline(exporter, { exportTimeoutMs: 500, maxConcurrentExports: 1 });
    queue.offer(oneRecord, null);
    await vi.advanceTimersByTimeAsync(519);
    expect(exporter.aborted).toBe(0);
    await vi.advanceTimersByTimeAsync(2);
    expect(exporter.aborted).toBe(1);
    expect(await metric('njs_tracing_export_errors_total')).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(exporter.received).toHaveLength(2);
  });

  it('settles file marks when spans are exported or refused for good, never when they are dropped at shutdown', async () => {
    const exporter = new ScriptedExporter();
    const committed: number[] = [];
    const tracker = new DeliveryTracker((position) => committed.push(position.offset));
    const at = (offset: number) => ({ dev: 1, ino: 2, offset, fingerprint: '' });
    let calls = 0;
    exporter.answer = () => (++calls === 1 ? { kind: 'drop', reason: 'http_400', error: '' } : calls === 2 ? OK : 'hang');
    const { queue } = pipeline(exporter, { maxConcurrentExports: 1, maxExportBatchSize: 2 });
    for (const offset of [100, 200, 300]) {
      const mark = tracker.open();
      queue.offer(oneRecord, mark);
      mark.seal(at(offset));
    }
    await vi.advanceTimersByTimeAsync(50);
    expect(committed).toEqual([100, 200]); // refused (400), then exported; the third hangs
    const stopping = queue.shutdown(Date.now() + 100);
    await vi.advanceTimersByTimeAsync(200);
    await stopping;
    expect(committed).toEqual([100, 200]); // the hung one is read again next time
  });

  it('makes room known: whenRoom resolves when a batch leaves', async () => {
    const exporter = new ScriptedExporter();
    exporter.latencyMs = 100;
    const { queue } = pipeline(exporter, { maxQueueSize: 10, maxExportBatchSize: 10 });
    for (let i = 0; i < 5; i++) queue.offer(oneRecord, null);
    expect(queue.room()).toBe(0);
    let woke = false;
    void queue.whenRoom().then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(woke).toBe(true);
    expect(queue.room()).toBe(10);
  });

  it('flushes at shutdown, and at the deadline aborts a hanging request and drops what is left, counted', async () => {
    const exporter = new ScriptedExporter();
    const { queue } = pipeline(exporter, { scheduledDelayMs: 60_000 });
    for (let i = 0; i < 30; i++) queue.offer(oneRecord, null);
    const flushing = queue.shutdown(Date.now() + 2000);
    await vi.advanceTimersByTimeAsync(50);
    await flushing;
    expect(exporter.received).toHaveLength(60);

    const hanging = new ScriptedExporter();
    hanging.answer = () => 'hang';
    const { queue: stuck, metric } = pipeline(hanging, { scheduledDelayMs: 60_000, exportTimeoutMs: 30_000 });
    for (let i = 0; i < 30; i++) stuck.offer(oneRecord, null);
    let done = false;
    const stopping = stuck.shutdown(Date.now() + 2000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1990);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    await stopping;
    expect(done).toBe(true);
    expect(hanging.aborted).toBe(4); // the requests in flight at the deadline: ended, not left running
    expect(await metric('njs_tracing_spans_dropped_total', { reason: 'shutdown' })).toBe(60);
    stuck.offer(oneRecord, null);
    expect(stuck.depth).toBe(0);
  });

  it('rejects a batch size larger than the queue, naming both values', () => {
    expect(() => pipeline(new ScriptedExporter(), { maxQueueSize: 5, maxExportBatchSize: 6 })).toThrow(
      'maxExportBatchSize (6) must not exceed maxQueueSize (5)',
    );
  });
});
