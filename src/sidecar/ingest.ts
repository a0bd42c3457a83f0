/**
 * The path of one record: parse, count, derive latency metrics, map to spans,
 * hand the spans to every export pipeline. Never throws: whatever arrives on
 * a socket or in a file is counted and, if bad, logged (rate-limited).
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

export type Sink = 'udp' | 'file';

export interface SpanConsumer {
  offer(spans: readonly ReadableSpan[]): void;
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
  constructor(
    private readonly metrics: SidecarMetrics,
    private readonly mapping: SpanMappingOptions,
    private readonly consumers: readonly SpanConsumer[],
    private readonly warnings: RateLimitedLog,
  ) {}

  handleLine(line: string, sink: Sink): void {
    this.metrics.recordsReceived.labels(sink).inc();
    const parsed = safeParse(line);
    if (!parsed.ok) {
      const reasonLabel = parsed.code;
      this.metrics.recordsMalformed.labels(sink, reasonLabel).inc();
      this.warnings.warn(`malformed:${reasonLabel}`, { sink, reason: parsed.reason.slice(0, 200) }, 'malformed span record');
      return;
    }
    this.handleRecord(parsed.record, sink);
  }

  private handleRecord(record: SpanRecord, sink: Sink): void {
    let spans: ReadableSpan[];
    try {
      this.countProblems(record);
      if ((record.traceFlags & SAMPLED) === 0) return;
      observeLayerLatency(this.metrics, record);
      spans = recordToSpans(record, this.mapping);
    } catch (error) {
      // A validated record should always map; if not, count it rather than crash the process.
      this.metrics.recordsMalformed.labels(sink, 'mapping_failed').inc();
      this.warnings.warn('mapping_failed', { err: String(error) }, 'could not map a span record');
      return;
    }
    for (const consumer of this.consumers) consumer.offer(spans);
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
