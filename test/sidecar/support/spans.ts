/** Records parsed the way the sidecar parses them, and mapped to spans, for unit tests. */
import { parseRecord, type SpanRecord } from '../../../src/record/parse.js';
import type { QueryRedaction } from '../../../src/sidecar/config.js';
import { recordToSpans } from '../../../src/sidecar/map/record-to-spans.js';
import { buildResource, TRACING_SCOPE } from '../../../src/sidecar/map/resource.js';
import { recordLine, type RecordOverrides } from './records.js';

export const resource = buildResource({ serviceName: 'ingress-nginx', resourceAttributes: { 'k8s.pod.name': 'ingress-0' } });

export function record(overrides: RecordOverrides = {}): SpanRecord {
  const parsed = parseRecord(recordLine(overrides));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.record;
}

export function spans(overrides: RecordOverrides = {}, queryRedaction: QueryRedaction = 'all') {
  return recordToSpans(record(overrides), { resource, scope: TRACING_SCOPE, queryRedaction });
}

/** OpenTelemetry [seconds, nanoseconds] -> milliseconds. */
export const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;
