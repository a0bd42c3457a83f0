/**
 * Microbenchmark of the sidecar's per-record steps in one process (not a
 * test): parseRecord, recordToSpans, and the OTLP encoding of 512-span
 * batches by the OpenTelemetry SDK's ProtobufTraceSerializer and by ours
 * (export/otlp-encode.ts), on records like bench/sidecar-ingest.ts sends
 * (paths and client ports varying, as in real traffic).
 *
 *   npx tsx bench/sidecar-encode.ts
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { parseRecord, type SpanRecord } from '../src/record/parse.js';
import { encodeTraceRequest } from '../src/sidecar/export/otlp-encode.js';
import { recordToSpans } from '../src/sidecar/map/record-to-spans.js';
import { buildResource, TRACING_SCOPE } from '../src/sidecar/map/resource.js';
import { recentRecord, recordLine } from '../test/sidecar/support/records.js';

const mapping = { resource: buildResource({ serviceName: 'ingress-nginx', resourceAttributes: {} }), scope: TRACING_SCOPE, queryRedaction: 'all' as const };
const lines = Array.from({ length: 512 }, (_, i) => recordLine(recentRecord({ path: `/api/items/${i % 200}`, cpt: String(1024 + i) })));
const parse = (line: string): SpanRecord => {
  const parsed = parseRecord(line);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.record;
};
const batches = Array.from({ length: 20 }, () => lines.map(parse).flatMap((record) => recordToSpans(record, mapping)).slice(0, 512));

function time(name: string, per: string, units: number, step: () => void, repeats: number): void {
  for (let i = 0; i < repeats / 4; i++) step(); // warm-up: let the JIT optimize
  const start = process.hrtime.bigint();
  for (let i = 0; i < repeats; i++) step();
  const us = Number(process.hrtime.bigint() - start) / 1e3 / repeats / units;
  console.log(`${name.padEnd(36)} ${us.toFixed(2)} µs/${per}`);
}

let k = 0;
time('parseRecord', 'record', lines.length, () => lines.forEach(parse), 100);
time('parseRecord + recordToSpans', 'record', lines.length, () => lines.forEach((line) => recordToSpans(parse(line), mapping)), 100);
time('OTLP: SDK ProtobufTraceSerializer', 'span', 512, () => ProtobufTraceSerializer.serializeRequest(batches[k++ % 20]), 400);
time('OTLP: ours (otlp-encode.ts)', 'span', 512, () => encodeTraceRequest(batches[k++ % 20]), 400);
