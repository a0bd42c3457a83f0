/**
 * The report's span model: what every reader (OTLP JSON, Jaeger JSON)
 * produces and every later step uses. Times are Unix microseconds as floats
 * (nanosecond inputs keep their fraction; Unix µs fit a double exactly).
 */
export type SpanKindName = 'server' | 'client' | 'internal' | 'producer' | 'consumer' | 'unspecified';
export type AttributeValue = string | number | boolean | Array<string | number | boolean>;

export interface Span {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: SpanKindName;
  /** The resource's service.name. */
  service: string;
  startUs: number;
  endUs: number;
  attributes: Record<string, AttributeValue>;
  error: boolean;
}

/** Attribute names the sidecar writes on the ingress spans (src/sidecar/attribute-names.ts). */
export const INGRESS_ATTR = {
  upstreamAddress: 'nginx.upstream.address',
  connectMs: 'nginx.upstream.connect_time_ms',
  headerMs: 'nginx.upstream.header_time_ms',
  responseMs: 'nginx.upstream.response_time_ms',
  route: 'http.route',
  resendCount: 'http.request.resend_count',
  status: 'http.response.status_code',
  errorType: 'error.type',
} as const;

export function numberAttribute(span: Span, key: string): number | null {
  const value = span.attributes[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

export function stringAttribute(span: Span, key: string): string | null {
  const value = span.attributes[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

export function durationMs(span: Span): number {
  return Math.max(0, span.endUs - span.startUs) / 1000;
}

/** A CLIENT span the sidecar made for one NGINX upstream attempt. */
export function isIngressAttempt(span: Span): boolean {
  return span.kind === 'client' && span.attributes[INGRESS_ATTR.upstreamAddress] !== undefined;
}

const HEX_ID = /^[0-9a-f]+$/;

/**
 * Ids as lowercase hex of a fixed width. OTLP/JSON uses hex; some older
 * exporters wrote base64 (the protobuf JSON default), and Jaeger drops
 * leading zeros of 64-bit ids.
 */
export function normalizeId(raw: unknown, bytes: 8 | 16): string {
  if (typeof raw !== 'string' || raw === '') return '';
  const lower = raw.toLowerCase();
  if (HEX_ID.test(lower) && lower.length <= bytes * 2) return lower.padStart(bytes * 2, '0');
  const decoded = Buffer.from(raw, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : '';
}
