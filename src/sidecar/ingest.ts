/**
 * The path of one record: parse, count, derive latency metrics, map to spans,
 * hand the spans to every export pipeline. Never throws: whatever arrives on
 * a socket or in a file is counted and, if bad, logged (rate-limited).
 *
 * A record from the file may wait: when an export queue has no room for its
 * spans, handleLine returns false before counting anything, and the file
 * source offers the same line again later (backpressure). A UDP record cannot
 * wait: what does not fit is dropped and counted by the queue.
 *
 * NGINX also writes records for unsampled requests whose trace headers were
 * rejected or whose njs step failed, only so that they can be counted: those
 * feed the problem counters, never spans or the latency histograms (which
 * would otherwise over-weight requests with bad headers).
 */
import { parseRecord, type ParseResult, type SpanRecord } from '../record/parse.js';
import type { SidecarMetrics } from './observe/metrics.js';
import { observeLayerLatency } from './observe/layer-latency.js';
import type { RateLimitedLog } from './observe/logger.js';
import { recordToSpans, type SpanMappingOptions } from './map/record-to-spans.js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Mark } from './receive/delivery.js';

export type Sink = 'udp' | 'file';

export interface SpanConsumer {
  /** Takes what fits; file spans carry the Mark of their chunk. */
  offer(spans: readonly ReadableSpan[], mark: Mark | null): void;
  /** Spans that fit now. */
  room(): number;
  /** Spans held at most. */
  readonly capacity: number;
  /** Resolves when room may have grown. */
  whenRoom(): Promise<void>;
}

/** Header names and error codes come from our njs code, but a label value must stay tame whatever arrives. */
function safeLabel(header: string): string {
  return /^[a-z0-9_-]{1,64}$/.test(header) ? header : 'invalid';
}

/** W3C trace-flags bit 0. */
const SAMPLED = 0x01;

/** parseRecord promises not to throw; hostile input (e.g. JSON nested thousands deep) must not be able to break that. */
function safeParse(line: string): ParseResult {
  try {
    return parseRecord(line);
  } catch (error) {
    return { ok: false, code: 'not_json', reason: `unparseable record: ${error instanceof Error ? error.name : 'error'}` };
  }
}

export class Ingest {
  /** Counter children looked up once: labels() per record is measurable at tens of thousands a second. */
  private readonly received: Record<Sink, { inc(): void }>;

  constructor(
    private readonly metrics: SidecarMetrics,
    private readonly mapping: SpanMappingOptions,
    private readonly consumers: readonly SpanConsumer[],
    private readonly warnings: RateLimitedLog,
  ) {
    this.received = { udp: metrics.recordsReceived.labels('udp'), file: metrics.recordsReceived.labels('file') };
  }

  /**
   * One record line. With a mark (the file source), returns false without
   * counting or queueing anything when a queue has no room for its spans.
   */
  handleLine(line: string, sink: Sink, mark: Mark | null = null): boolean {
    const parsed = safeParse(line);
    let spans: ReadableSpan[] | null = null;
    if (parsed.ok && mark && (parsed.record.traceFlags & SAMPLED) !== 0) {
      spans = this.mapSafely(parsed.record);
      if (spans && !(this.fits(spans.length) && mark.tracker.canHold(spans.length * this.consumers.length))) return false;
    }
    this.received[sink].inc();
    if (!parsed.ok) {
      const reasonLabel = parsed.code;
      this.metrics.recordsMalformed.labels(sink, reasonLabel).inc();
      this.warnings.warn(`malformed:${reasonLabel}`, { sink, reason: parsed.reason.slice(0, 200) }, 'malformed span record');
      return true;
    }
    this.handleRecord(parsed.record, sink, spans, mark);
    return true;
  }

  /** Every queue has room for `count` spans (an empty queue takes a record even if it is larger than the queue). */
  private fits(count: number): boolean {
    for (const consumer of this.consumers) {
      const room = consumer.room();
      if (room < count && room < consumer.capacity) return false;
    }
    return true;
  }

  /** Resolves when any queue may have room again. */
  whenRoom(): Promise<void> {
    return Promise.race(this.consumers.map((consumer) => consumer.whenRoom()));
  }

  private mapSafely(record: SpanRecord): ReadableSpan[] | null {
    try {
      return recordToSpans(record, this.mapping);
    } catch {
      return null; // counted as mapping_failed by handleRecord
    }
  }

  private handleRecord(record: SpanRecord, sink: Sink, mapped: ReadableSpan[] | null, mark: Mark | null): void {
    let spans: ReadableSpan[];
    try {
      this.countProblems(record);
      if ((record.traceFlags & SAMPLED) === 0) return;
      observeLayerLatency(this.metrics, record);
      spans = mapped ?? recordToSpans(record, this.mapping);
    } catch (error) {
      // A validated record should always map; if not, count it rather than crash the process.
      this.metrics.recordsMalformed.labels(sink, 'mapping_failed').inc();
      this.warnings.warn('mapping_failed', { err: String(error) }, 'could not map a span record');
      return;
    }
    for (const consumer of this.consumers) consumer.offer(spans, mark);
  }

  private countProblems(record: SpanRecord): void {
    for (const header of record.rejectedHeaders) this.metrics.rejectedHeaders.get({ header: safeLabel(header) }).inc();
    if (record.error !== '') {
      const code = safeLabel(record.error.toLowerCase());
      this.metrics.njsErrors.get({ code }).inc();
      this.warnings.warn(`njs_error:${code}`, { code: record.error.slice(0, 100), traceId: record.traceId }, 'njs tracing code failed for a request');
    }
  }
}
