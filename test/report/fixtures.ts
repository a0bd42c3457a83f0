/**
 * Hand-made traces for the report's tests, and writers for the two wire
 * formats the report reads: Jaeger's query JSON (as jaeger-query's
 * /api/traces returns it) and OTLP/JSON.
 */
import type { AttributeValue, Span, SpanKindName } from '../../src/report/spans.js';

export const T0_US = 1_790_000_000_000_000;

export function span(fields: Partial<Span> & { spanId: string; startMs: number; endMs: number }): Span {
  const { startMs, endMs, ...rest } = fields;
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    parentSpanId: '',
    name: 'span',
    kind: 'internal',
    service: 'ingress-nginx',
    attributes: {},
    error: false,
    ...rest,
    startUs: T0_US + startMs * 1000,
    endUs: T0_US + endMs * 1000,
  };
}

/** An ingress trace: SERVER 0–100 ms; attempts as given. */
export function ingressTrace(traceId: string, attempts: Array<Partial<Span> & { spanId: string; startMs: number; endMs: number }>, app: Span[] = []): Span[] {
  const root = span({ traceId, spanId: 'a000000000000001', name: 'GET /cart/{id}', kind: 'server', startMs: 0, endMs: 100, attributes: { 'http.route': '/cart/{id}' } });
  return [
    root,
    ...attempts.map((a) => span({ traceId, parentSpanId: root.spanId, name: 'GET', kind: 'client', ...a, attributes: { 'nginx.upstream.address': '10.0.0.1:8080', ...a.attributes } })),
    ...app.map((s) => ({ ...s, traceId })),
  ];
}

const JAEGER_TYPE = (value: AttributeValue) => (typeof value === 'number' ? (Number.isInteger(value) ? 'int64' : 'float64') : typeof value === 'boolean' ? 'bool' : 'string');

/** Jaeger query API JSON: {data: [{traceID, spans, processes}], total, limit, offset, errors}. */
export function toJaegerJson(spans: Span[]): unknown {
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  return {
    data: [...byTrace].map(([traceId, list]) => {
      const services = [...new Set(list.map((s) => s.service))];
      return {
        traceID: traceId,
        spans: list.map((s) => ({
          traceID: traceId,
          spanID: s.spanId,
          flags: 1,
          operationName: s.name,
          references: s.parentSpanId ? [{ refType: 'CHILD_OF', traceID: traceId, spanID: s.parentSpanId }] : [],
          startTime: s.startUs,
          duration: s.endUs - s.startUs,
          tags: [
            { key: 'span.kind', type: 'string', value: s.kind },
            ...Object.entries(s.attributes).map(([key, value]) => ({ key, type: JAEGER_TYPE(value), value })),
            ...(s.error ? [{ key: 'error', type: 'bool', value: true }] : []),
          ],
          logs: [],
          processID: `p${services.indexOf(s.service) + 1}`,
          warnings: null,
        })),
        processes: Object.fromEntries(services.map((service, i) => [`p${i + 1}`, { serviceName: service, tags: [] }])),
        warnings: null,
      };
    }),
    total: 0,
    limit: 0,
    offset: 0,
    errors: null,
  };
}

const OTLP_KIND: Record<SpanKindName, number> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

function otlpValue(value: AttributeValue): object {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { arrayValue: { values: value.map(otlpValue) } };
}

/** One OTLP/JSON ExportTraceServiceRequest per service. */
export function toOtlpJsonLines(spans: Span[]): string {
  const services = [...new Set(spans.map((s) => s.service))];
  return services
    .map((service) =>
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeSpans: [
              {
                scope: { name: 'test' },
                spans: spans
                  .filter((s) => s.service === service)
                  .map((s) => ({
                    traceId: s.traceId,
                    spanId: s.spanId,
                    parentSpanId: s.parentSpanId,
                    name: s.name,
                    kind: OTLP_KIND[s.kind],
                    startTimeUnixNano: String(BigInt(Math.round(s.startUs)) * 1000n),
                    endTimeUnixNano: String(BigInt(Math.round(s.endUs)) * 1000n),
                    attributes: Object.entries(s.attributes).map(([key, value]) => ({ key, value: otlpValue(value) })),
                    status: { code: s.error ? 2 : 0 },
                  })),
              },
            ],
          },
        ],
      }),
    )
    .join('\n');
}
