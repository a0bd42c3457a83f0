/**
 * A bounded export queue in front of one SpanExporter. Unlike the SDK's
 * BatchSpanProcessor, a failed batch is not thrown away: it goes back to the
 * head of the queue and is retried with exponential backoff, so a backend
 * restart loses nothing that fits in the queue. Memory is bounded by
 * maxQueueSize (batches in flight count against it); spans that do not fit
 * are dropped and counted. Export resumes by itself when the backend answers.
 * A few batches may be in flight at once, so backend round-trip time does not
 * cap throughput.
 *
 * An export that outlives exportTimeoutMs counts as failed and its batch is
 * queued again, but the request itself keeps its concurrency slot until the
 * exporter calls back: the limit bounds requests really on the wire, not
 * only the ones still awaited. (Exporters get a request timeout no larger
 * than exportTimeoutMs, see exporters.ts, so such a request ends soon.)
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../observe/logger.js';
import { RateLimitedLog } from '../observe/logger.js';
import type { SidecarMetrics } from '../observe/metrics.js';

export interface ExportPipelineOptions {
  /** Label for metrics and logs: the exporter's name (otlp, jaeger, ...). */
  name: string;
  exporter: SpanExporter;
  /** Spans held at most, including the batch in flight (OTEL_BSP_MAX_QUEUE_SIZE). */
  maxQueueSize: number;
  /** Spans per export call, at most (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, <= maxQueueSize). */
  maxExportBatchSize: number;
  /** Longest a span waits for a batch to fill (OTEL_BSP_SCHEDULE_DELAY). */
  scheduledDelayMs: number;
  /** An export not finished by then counts as failed and is retried (OTEL_BSP_EXPORT_TIMEOUT). */
  exportTimeoutMs: number;
  /** Backoff between retries doubles from 100 ms up to this. */
  maxRetryBackoffMs: number;
  /** Export requests running at the same time, timed-out ones included, at most (default 4). */
  maxConcurrentExports?: number;
  metrics: SidecarMetrics;
  logger: Logger;
}

const FIRST_BACKOFF_MS = 100;

export class ExportPipeline {
  private readonly queue: ReadableSpan[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private inFlightSpans = 0;
  /** Exporter calls not yet called back, timed-out ones included: what the concurrency limit counts. */
  private requestsRunning = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private consecutiveFailures = 0;
  private retryAt = 0;
  private stopped = false;
  private readonly warnings: RateLimitedLog;

  constructor(private readonly options: ExportPipelineOptions) {
    if (options.maxExportBatchSize > options.maxQueueSize) {
      throw new TypeError(
        `maxExportBatchSize (${options.maxExportBatchSize}) must not exceed maxQueueSize (${options.maxQueueSize})`,
      );
    }
    this.warnings = new RateLimitedLog(options.logger);
  }

  /** Spans held: waiting plus in flight. */
  get depth(): number {
    return this.queue.length + this.inFlightSpans;
  }

  private get maxConcurrent(): number {
    return this.options.maxConcurrentExports ?? 4;
  }

  /** Queues spans; whatever does not fit is dropped and counted. Never blocks. */
  offer(spans: readonly ReadableSpan[]): void {
    const { name, maxQueueSize, metrics } = this.options;
    const room = this.stopped ? 0 : maxQueueSize - this.depth;
    const accepted = Math.min(room, spans.length);
    for (let i = 0; i < accepted; i++) this.queue.push(spans[i]);
    if (accepted < spans.length) {
      metrics.spansDropped.labels(name, 'queue_full').inc(spans.length - accepted);
      this.warnings.warn('queue_full', { exporter: name, maxQueueSize }, 'export queue full, dropping spans');
    }
    metrics.queueDepth.labels(name).set(this.depth);
    this.plan();
  }

  /** Decides when the next export runs: now if a batch is full, else after the scheduled delay. */
  private plan(): void {
    if (this.stopped || this.queue.length === 0 || this.requestsRunning >= this.maxConcurrent) return;
    const now = Date.now();
    if (now >= this.retryAt && this.queue.length >= this.options.maxExportBatchSize) {
      // Full batches go out at once, as many as the concurrency allows.
      while (this.queue.length >= this.options.maxExportBatchSize && this.requestsRunning < this.maxConcurrent) {
        this.startExport(this.options.exportTimeoutMs);
      }
      return;
    }
    if (this.inFlight.size > 0 || this.timer) return; // a finishing export or the timer calls plan() again
    const delay = now < this.retryAt ? this.retryAt - now : this.options.scheduledDelayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (Date.now() >= this.retryAt && this.requestsRunning < this.maxConcurrent) this.startExport(this.options.exportTimeoutMs);
      this.plan();
    }, delay);
    this.timer.unref();
  }

  private startExport(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue.splice(0, this.options.maxExportBatchSize);
    this.inFlightSpans += batch.length;
    const exporting: Promise<void> = this.send(batch, timeoutMs).finally(() => {
      this.inFlight.delete(exporting);
      this.inFlightSpans -= batch.length;
      this.options.metrics.queueDepth.labels(this.options.name).set(this.depth);
      this.plan();
    });
    this.inFlight.add(exporting);
    return exporting;
  }

  private async send(batch: ReadableSpan[], timeoutMs: number): Promise<void> {
    const { name, metrics, maxRetryBackoffMs } = this.options;
    const stopTimer = metrics.exportDuration.labels(name).startTimer();
    const error = await this.exportOnce(batch, timeoutMs);
    stopTimer();
    if (error === null) {
      metrics.spansExported.labels(name).inc(batch.length);
      if (this.consecutiveFailures > 0) this.options.logger.info({ exporter: name }, 'export recovered');
      this.consecutiveFailures = 0;
      this.retryAt = 0;
      return;
    }
    // Back to the head of the queue: retried first once the backend answers again.
    this.queue.unshift(...batch);
    this.consecutiveFailures++;
    metrics.exportErrors.labels(name).inc();
    const backoff = Math.min(maxRetryBackoffMs, FIRST_BACKOFF_MS * 2 ** Math.min(this.consecutiveFailures - 1, 20));
    // Jitter keeps several sidecars from retrying against a recovering backend in lockstep.
    this.retryAt = Date.now() + backoff * (0.5 + Math.random() / 2);
    this.warnings.warn(
      'export_failed',
      { exporter: name, err: error.message, queued: this.depth, failures: this.consecutiveFailures },
      'export failed, will retry',
    );
  }

  /**
   * Stops accepting spans and exports what is queued until `deadline` (epoch
   * ms); whatever is left then is dropped and counted. Safe to call twice.
   */
  async shutdown(deadline: number): Promise<void> {
    const { name, metrics, exporter } = this.options;
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      while (this.depth > 0 && Date.now() < deadline) {
        if (this.inFlight.size > 0) {
          await Promise.race(this.inFlight);
          continue;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        if (this.requestsRunning >= this.maxConcurrent) {
          // Only timed-out requests hold the slots: wait for one to end.
          await Promise.race([new Promise<void>((resolve) => this.slotWaiters.push(resolve)), sleep(remaining)]);
          continue;
        }
        if (Date.now() < this.retryAt) await sleep(Math.min(this.retryAt - Date.now(), remaining));
        while (this.queue.length > 0 && this.requestsRunning < this.maxConcurrent) {
          void this.startExport(Math.min(this.options.exportTimeoutMs, Math.max(1, deadline - Date.now())));
        }
      }
      // Their timeouts end at the deadline; a failed one puts its spans back to be counted below.
      await Promise.allSettled([...this.inFlight]);
      if (this.queue.length > 0) {
        metrics.spansDropped.labels(name, 'shutdown').inc(this.queue.length);
        this.options.logger.warn({ exporter: name, dropped: this.queue.length }, 'shutdown deadline reached, dropping queued spans');
        this.queue.length = 0;
        metrics.queueDepth.labels(name).set(0);
      }
    }
    await withTimeout(exporter.shutdown(), Math.max(1, deadline - Date.now())).catch(() => undefined);
  }

  /**
   * One exporter call. Resolves to null on success, or the error, at the
   * latest after timeoutMs; never rejects. The call holds a concurrency slot
   * until the exporter calls back, even after the timeout gave up on it.
   */
  private exportOnce(batch: ReadableSpan[], timeoutMs: number): Promise<Error | null> {
    this.requestsRunning++;
    let released = false;
    let abandoned = false;
    const release = () => {
      if (released) return;
      released = true;
      this.requestsRunning--;
      for (const wake of this.slotWaiters.splice(0)) wake();
      // A request still awaited is followed by its own plan() once its result is handled.
      if (abandoned) this.plan();
    };
    const exported = new Promise<Error | null>((resolve) => {
      try {
        this.options.exporter.export(batch, (result) => {
          release();
          resolve(result.code === ExportResultCode.SUCCESS ? null : (result.error ?? new Error('export failed')));
        });
      } catch (error) {
        release();
        resolve(error instanceof Error ? error : new Error(String(error)));
      }
    });
    return withTimeout(exported, timeoutMs).catch((error: Error) => {
      abandoned = true;
      return error;
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
