/**
 * Reads traces from Jaeger's HTTP query API (`GET /api/traces?service=…&limit=…`,
 * the JSON the Jaeger UI uses: {data: [{traceID, spans, processes}]}), or from
 * a file holding that JSON. Jaeger tags carry span.kind, error and
 * otel.status_code; references of type CHILD_OF give the parent.
 */
import { normalizeId, type AttributeValue, type Span, type SpanKindName } from './spans.js';
import type { ReadResult } from './read-otlp-json.js';

interface JaegerTag {
  key: string;
  type?: string;
  value: unknown;
}
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName?: string;
  references?: Array<{ refType: string; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags?: JaegerTag[];
  processID?: string;
}
interface JaegerTrace {
  traceID?: string;
  spans?: JaegerSpan[];
  processes?: Record<string, { serviceName?: string }>;
}

const KINDS: ReadonlySet<string> = new Set(['server', 'client', 'internal', 'producer', 'consumer']);

function tagValue(tag: JaegerTag): AttributeValue | undefined {
  const { value } = tag;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

export function parseJaegerJson(document: unknown): ReadResult {
  const data = (document as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw new Error('not Jaeger query JSON: no "data" array');
  const spans: Span[] = [];
  let skipped = 0;
  for (const trace of data as JaegerTrace[]) {
    for (const raw of trace.spans ?? []) {
      const attributes: Record<string, AttributeValue> = {};
      for (const tag of raw.tags ?? []) {
        const value = tagValue(tag);
        if (value !== undefined) attributes[tag.key] = value;
      }
      const kindTag = String(attributes['span.kind'] ?? '');
      const parent = (raw.references ?? []).find((ref) => ref.refType === 'CHILD_OF') ?? (raw.references ?? [])[0];
      const span: Span = {
        traceId: normalizeId(raw.traceID, 16),
        spanId: normalizeId(raw.spanID, 8),
        parentSpanId: parent ? normalizeId(parent.spanID, 8) : '',
        name: raw.operationName ?? '',
        kind: KINDS.has(kindTag) ? (kindTag as SpanKindName) : 'unspecified',
        service: trace.processes?.[raw.processID ?? '']?.serviceName ?? 'unknown_service',
        startUs: Number(raw.startTime),
        endUs: Number(raw.startTime) + Number(raw.duration),
        attributes,
        error: attributes.error === true || attributes.error === 'true' || attributes['otel.status_code'] === 'ERROR',
      };
      if (span.traceId && span.spanId && Number.isFinite(span.startUs) && Number.isFinite(span.endUs)) spans.push(span);
      else skipped++;
    }
  }
  return { spans, skipped };
}

export interface JaegerQuery {
  /** Base URL of jaeger-query, e.g. http://jaeger:16686 */
  url: string;
  service: string;
  limit: number;
  /** Optional Jaeger lookback, e.g. "1h". */
  lookback?: string;
  timeoutMs?: number;
}

export async function fetchJaegerTraces(query: JaegerQuery): Promise<ReadResult> {
  const url = new URL('api/traces', query.url.endsWith('/') ? query.url : `${query.url}/`);
  url.searchParams.set('service', query.service);
  url.searchParams.set('limit', String(query.limit));
  if (query.lookback) url.searchParams.set('lookback', query.lookback);
  const response = await fetch(url, { signal: AbortSignal.timeout(query.timeoutMs ?? 30_000) });
  if (!response.ok) throw new Error(`Jaeger query ${url} answered ${response.status}`);
  return parseJaegerJson(await response.json());
}
