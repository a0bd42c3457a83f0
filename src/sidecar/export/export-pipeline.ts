/**
 * One exporter's path out: a bounded SpanQueue, a concurrency limit on
 * requests, and a RetrySchedule.
 *
 * - Bounded: queued plus in-flight spans never exceed maxQueueSize. A source
 *   that can wait (the file) asks room() first and waits on whenRoom(); UDP,
 *   which cannot, has what does not fit dropped and counted (queue_full).
 * - Retries: a retryable outcome (connection error, 429/502/503/504) puts the
 *   batch back at the head of the queue and pauses exports per the schedule;
 *   any other outcome drops the batch at once, counted by reason.
 * - Delivery: exported or refused-for-good spans settle their file Marks, so
 *   the checkpoint can move past them; spans left at shutdown do not.
 * - Time: each request is aborted after exportTimeoutMs, and at shutdown every
 *   request still running is aborted at the deadline: a hard bound.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Mark } from '../receive/delivery.js';
import type { Logger } from '../observe/logger.js';
import { RateLimitedLog } from '../observe/logger.js';
import type { SidecarMetrics } from '../observe/metrics.js';
import type { BatchExporter, ExportOutcome } from './outcome.js';
import { RetrySchedule } from './retry-schedule.js';
import { settleMarks, SpanQueue, type Batch } from './span-queue.js';

export interface ExportPipelineOptions {
  /** Label for metrics and logs: the exporter's name (otlp, jaeger, ...). */
  name: string;
  exporter: BatchExporter;
  /** Spans held at most, including the batches in flight (OTEL_BSP_MAX_QUEUE_SIZE). */
  maxQueueSize: number;
  /** Spans per export call, at most (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, <= maxQueueSize). */
  maxExportBatchSize: number;
  /** Longest a span waits for a batch to fill (OTEL_BSP_SCHEDULE_DELAY). */
  scheduledDelayMs: number;
  /** A request not answered by then is aborted and retried (OTEL_BSP_EXPORT_TIMEOUT). */
  exportTimeoutMs: number;
  /** Backoff between retries doubles from 100 ms up to this. */
  maxRetryBackoffMs: number;
  /** Requests running at the same time, at most (default 4). */
  maxConcurrentExports?: number;
  metrics: SidecarMetrics;
  logger: Logger;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

export class ExportPipeline {
  private readonly queue = new SpanQueue();
  private inFlightSpans = 0;
  private readonly running = new Set<Running>();
  private readonly retry: RetrySchedule;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private roomWaiters: Array<() => void> = [];
  private readonly warnings: RateLimitedLog;

  constructor(private readonly options: ExportPipelineOptions) {
    if (options.maxExportBatchSize > options.maxQueueSize) {
      throw new TypeError(`maxExportBatchSize (${options.maxExportBatchSize}) must not exceed maxQueueSize (${options.maxQueueSize})`);
    }
    this.warnings = new RateLimitedLog(options.logger);
    this.retry = new RetrySchedule(options.maxRetryBackoffMs);
    options.metrics.queueDepthSources.set(options.name, () => this.depth);
  }

  get name(): string {
    return this.options.name;
  }

  /** Spans held: waiting plus in flight (never above maxQueueSize). */
  get depth(): number {
    return this.queue.length + this.inFlightSpans;
  }

  /** Spans that would be accepted now. */
  room(): number {
    return this.stopped ? 0 : this.options.maxQueueSize - this.depth;
  }

  get capacity(): number {
    return this.options.maxQueueSize;
  }

  /** Resolves the next time spans leave the queue (or at shutdown). */
  whenRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private get maxConcurrent(): number {
    return this.options.maxConcurrentExports ?? 4;
  }

  /** Queues what fits; the rest is dropped and counted (only UDP ever offers more than room()). */
  offer(spans: readonly ReadableSpan[], mark: Mark | null): void {
    const { name, maxQueueSize, metrics } = this.options;
    const accepted = Math.min(this.room(), spans.length);
    for (let i = 0; i < accepted; i++) this.queue.push(spans[i], mark);
    mark?.take(accepted);
    if (accepted < spans.length) {
      metrics.spansDropped.labels(name, this.stopped ? 'shutdown' : 'queue_full').inc(spans.length - accepted);
      this.warnings.warn('queue_full', { exporter: name, maxQueueSize }, 'export queue full, dropping spans');
    }
    this.plan();
  }

  /** Decides when the next export runs: now if a batch is full, else after the scheduled delay (or the retry wait). */
  private plan(): void {
    if (this.stopped || this.queue.length === 0 || this.running.size >= this.maxConcurrent) return;
    const wait = this.retry.waitMs;
    if (wait === 0 && this.queue.length >= this.options.maxExportBatchSize) {
      while (this.queue.length >= this.options.maxExportBatchSize && this.running.size < this.maxConcurrent) {
        this.startExport(this.options.exportTimeoutMs);
      }
      return;
    }
    if (this.timer || (wait === 0 && this.running.size > 0)) return; // a finishing export or the timer calls plan() again
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.retry.waitMs === 0 && this.queue.length > 0 && this.running.size < this.maxConcurrent) {
        this.startExport(this.options.exportTimeoutMs);
      }
      this.plan();
    }, wait > 0 ? wait : this.options.scheduledDelayMs);
    this.timer.unref();
  }

  private startExport(timeoutMs: number): void {
    const batch = this.queue.take(this.options.maxExportBatchSize);
    if (batch.spans.length === 0) return;
    this.inFlightSpans += batch.spans.length;
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new Error(`export timed out after ${timeoutMs} ms`)), timeoutMs);
    const stopTimer = this.options.metrics.exportDuration.labels(this.options.name).startTimer();
    const entry: Running = {
      controller,
      done: this.options.exporter
        .export(batch.spans, controller.signal)
        .catch((error: unknown): ExportOutcome => ({ kind: 'retry', error: String(error) }))
        .then((outcome) => {
          clearTimeout(timeout);
          stopTimer();
          this.running.delete(entry);
          this.inFlightSpans -= batch.spans.length;
          this.handle(batch, outcome);
          for (const wake of this.roomWaiters.splice(0)) wake();
          this.plan();
        }),
    };
    this.running.add(entry);
  }

  private handle(batch: Batch, outcome: ExportOutcome): void {
    const { name, metrics, logger } = this.options;
    const count = batch.spans.length;
    if (outcome.kind === 'retry') {
      this.queue.putBack(batch);
      metrics.exportErrors.labels(name).inc();
      const waitMs = this.retry.failed(outcome.retryAfterMs);
      this.warnings.warn('export_failed', { exporter: name, err: outcome.error, queued: this.depth, failures: this.retry.consecutiveFailures, retryInMs: Math.round(waitMs) }, 'export failed, will retry');
      return;
    }
    if (this.retry.succeeded()) logger.info({ exporter: name }, 'export recovered');
    settleMarks(batch.marks);
    if (outcome.kind === 'drop') {
      metrics.spansDropped.labels(name, outcome.reason).inc(count);
      this.warnings.warn(`drop:${outcome.reason}`, { exporter: name, reason: outcome.reason, err: outcome.error, spans: count }, 'backend refused a batch; dropped without retrying (the answer is not retryable)');
      return;
    }
    metrics.spansExported.labels(name).inc(count - Math.min(count, outcome.rejected));
    if (outcome.rejected > 0) {
      metrics.spansRejected.labels(name).inc(Math.min(count, outcome.rejected));
      this.warnings.warn('partial_success', { exporter: name, rejected: outcome.rejected, message: outcome.message?.slice(0, 200) }, 'backend rejected part of a batch');
    }
  }

  /**
   * Stops accepting spans and exports what is queued until `deadline` (epoch
   * ms); requests still running then are aborted, and what is left is dropped
   * and counted (file spans among them stay unsettled: they are read again
   * after a restart). Safe to call twice.
   */
  async shutdown(deadline: number): Promise<void> {
    const { name, metrics, exporter, logger } = this.options;
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const wake of this.roomWaiters.splice(0)) wake();
    const remaining = () => deadline - Date.now();
    const hardStop = setTimeout(() => this.abortAll(), Math.max(0, remaining()));
    while (this.depth > 0 && remaining() > 0) {
      if (this.queue.length > 0 && this.running.size < this.maxConcurrent && this.retry.waitMs === 0) {
        this.startExport(Math.max(1, Math.min(this.options.exportTimeoutMs, remaining())));
        continue;
      }
      const wait = this.running.size > 0 ? [...this.running].map((entry) => entry.done) : [];
      await Promise.race([...wait, sleep(Math.min(remaining(), this.retry.waitMs || remaining()))]);
    }
    clearTimeout(hardStop);
    this.abortAll();
    await Promise.all([...this.running].map((entry) => entry.done));
    const left = this.queue.drain();
    if (left.spans.length > 0) {
      metrics.spansDropped.labels(name, 'shutdown').inc(left.spans.length);
      logger.warn({ exporter: name, dropped: left.spans.length }, 'shutdown deadline reached, dropping queued spans (file records among them are read again at the next start)');
    }
    await Promise.race([exporter.shutdown().catch(() => undefined), sleep(Math.max(1, remaining()))]);
  }

  private abortAll(): void {
    for (const entry of this.running) entry.controller.abort(new Error('shutdown deadline reached'));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
