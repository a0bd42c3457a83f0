/**
 * Reads OTLP/JSON: the "OTLP file" format (one ExportTraceServiceRequest per
 * line, what `OTEL_TRACES_EXPORTER=otlp-file` and the Collector's file
 * exporter write) or one whole ExportTraceServiceRequest document. Lines that
 * are not valid OTLP are counted and skipped, never fatal.
 */
import { normalizeId, type AttributeValue, type Span, type SpanKindName } from './spans.js';

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number | string };
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

export interface ReadResult {
  spans: Span[];
  /** Lines (or documents) that were not OTLP/JSON. */
  skipped: number;
}

const KINDS: SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function kindOf(raw: number | string | undefined): SpanKindName {
  if (typeof raw === 'number') return KINDS[raw] ?? 'unspecified';
  if (typeof raw === 'string') {
    const name = raw.replace(/^SPAN_KIND_/, '').toLowerCase();
    return (KINDS as string[]).includes(name) ? (name as SpanKindName) : 'unspecified';
  }
  return 'unspecified';
}

function scalar(value: OtlpAnyValue | undefined): string | number | boolean | undefined {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return undefined;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    if (value?.arrayValue) {
      out[key] = (value.arrayValue.values ?? []).map(scalar).filter((v): v is string | number | boolean => v !== undefined);
    } else {
      const v = scalar(value);
      if (v !== undefined) out[key] = v;
    }
  }
  return out;
}

/** Nanoseconds (a decimal string, exact) to microseconds. */
function nanosToMicros(raw: string | number | undefined): number {
  if (raw === undefined) return NaN;
  if (typeof raw === 'number') return raw / 1000;
  if (!/^\d{1,20}$/.test(raw)) return NaN;
  const nanos = BigInt(raw);
  return Number(nanos / 1000n) + Number(nanos % 1000n) / 1000;
}

function spansOf(request: OtlpRequest): Span[] | null {
  if (!request || !Array.isArray(request.resourceSpans)) return null;
  const spans: Span[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service';
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const raw of scopeSpans.spans ?? []) {
        const span: Span = {
          traceId: normalizeId(raw.traceId, 16),
          spanId: normalizeId(raw.spanId, 8),
          parentSpanId: normalizeId(raw.parentSpanId, 8),
          name: raw.name ?? '',
          kind: kindOf(raw.kind),
          service,
          startUs: nanosToMicros(raw.startTimeUnixNano),
          endUs: nanosToMicros(raw.endTimeUnixNano),
          attributes: attributesOf(raw.attributes),
          error: raw.status?.code === 2 || raw.status?.code === 'STATUS_CODE_ERROR',
        };
        if (span.traceId && span.spanId && Number.isFinite(span.startUs) && Number.isFinite(span.endUs)) spans.push(span);
      }
    }
  }
  return spans;
}

export function parseOtlpJson(text: string): ReadResult {
  const trimmed = text.trim();
  if (trimmed === '') return { spans: [], skipped: 0 };
  // A whole (possibly pretty-printed) document first, then the one-per-line format.
  if (!trimmed.includes('\n') || /^\{\s*\n/.test(trimmed)) {
    try {
      const spans = spansOf(JSON.parse(trimmed) as OtlpRequest);
      if (spans) return { spans, skipped: 0 };
    } catch {
      // not one document: read it line by line below
    }
  }
  const spans: Span[] = [];
  let skipped = 0;
  for (const line of trimmed.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const found = spansOf(JSON.parse(line) as OtlpRequest);
      if (found) spans.push(...found);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { spans, skipped };
}
