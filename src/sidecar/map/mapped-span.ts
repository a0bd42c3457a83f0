/**
 * A span mapped from a record, held in the export queues until it is sent.
 * It stores only what the record gave (hex ids, millisecond times, the
 * attribute object) in one object per span: at 100,000 spans/s the SDK shape
 * (a closure, three HrTime arrays, context and status objects per span) is
 * most of the garbage. The OTLP encoder reads these fields directly; every
 * other exporter sees an ordinary ReadableSpan through the getters, built
 * when asked.
 */
import { SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanKind, type SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope, TraceState } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_LINK_REASON, LINK_REASON_DISTRUSTED } from './attribute-names.js';

/** Unix milliseconds to OpenTelemetry's [seconds, nanoseconds]. */
export function msToHrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** The attributes of the link that keeps a distrusted incoming context (every exporter's). */
export const DISTRUSTED_LINK_ATTRIBUTES: Attributes = Object.freeze({ [ATTR_LINK_REASON]: LINK_REASON_DISTRUSTED });

const NO_EVENTS: [] = [];
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const ERROR: SpanStatus = Object.freeze({ code: SpanStatusCode.ERROR });

export class MappedSpan implements ReadableSpan {
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;

  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    readonly traceId: string,
    readonly spanId: string,
    /** Empty for a root span. */
    readonly parentSpanId: string,
    /** The parent came from the incoming request (a SERVER span's caller), not from this record. */
    readonly parentIsRemote: boolean,
    readonly traceFlags: number,
    readonly traceState: TraceState | undefined,
    readonly startMs: number,
    readonly endMs: number,
    readonly error: boolean,
    readonly attributes: Attributes,
    /** The distrusted incoming context kept as a link, or empty. */
    readonly linkTraceId: string,
    readonly linkSpanId: string,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {}

  spanContext(): SpanContext {
    return { traceId: this.traceId, spanId: this.spanId, traceFlags: this.traceFlags, traceState: this.traceState, isRemote: false };
  }

  get parentSpanContext(): SpanContext | undefined {
    if (this.parentSpanId === '') return undefined;
    return {
      traceId: this.traceId,
      spanId: this.parentSpanId,
      traceFlags: this.traceFlags,
      traceState: this.traceState,
      isRemote: this.parentIsRemote,
    };
  }

  get startTime(): HrTime {
    return msToHrTime(this.startMs);
  }

  get endTime(): HrTime {
    return msToHrTime(this.endMs);
  }

  get duration(): HrTime {
    return msToHrTime(this.endMs - this.startMs);
  }

  get status(): SpanStatus {
    return this.error ? ERROR : UNSET;
  }

  get links(): Link[] {
    if (this.linkTraceId === '') return [];
    const context: SpanContext = { traceId: this.linkTraceId, spanId: this.linkSpanId, traceFlags: TraceFlags.NONE, isRemote: true };
    return [{ context, attributes: DISTRUSTED_LINK_ATTRIBUTES }];
  }

  get events(): [] {
    return NO_EVENTS;
  }
}
