/**
 * The OTLP encoder written for our spans must send exactly what the
 * OpenTelemetry project's ProtobufTraceSerializer sends for the same spans:
 * both encodings of a varied corpus are decoded with the code generated from
 * the official proto files and compared field by field (defaults included),
 * and then compared byte for byte.
 */
import { createRequire } from 'node:module';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import type { QueryRedaction } from '../../../src/sidecar/config.js';
import { encodeTraceRequest } from '../../../src/sidecar/export/otlp-encode.js';
import type { MappedSpan } from '../../../src/sidecar/map/mapped-span.js';
import { recordToSpans } from '../../../src/sidecar/map/record-to-spans.js';
import { buildResource, TRACING_SCOPE } from '../../../src/sidecar/map/resource.js';
import { freshIds, type RecordOverrides } from '../support/records.js';
import { record } from '../support/spans.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-protobufjs/build/src/generated/root.js');
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

function decoded(bytes: Uint8Array): unknown {
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), {
    defaults: true,
    arrays: true,
    longs: String,
    bytes: String,
    enums: Number,
  });
}

const resource = buildResource({
  serviceName: 'ingress-nginx',
  resourceAttributes: { 'k8s.pod.name': 'ingress-0', 'k8s.namespace.name': 'ingress-nginx', 'deployment.environment': 'prod' },
});

/** Records covering every branch of the mapping: kinds, errors, retries, gRPC, links, policy context, missing values. */
const CORPUS: Array<[string, RecordOverrides, QueryRedaction?]> = [
  ['plain GET', {}],
  ['root span with a remote parent and tracestate', { pid: '53995c3f42cd8ad8', tst: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' }],
  ['unsampled flags bits kept', { fl: '03' }],
  ['server error', { st: '503', ua_st: '503' }],
  ['upstream 404 (client error only)', { st: '404', ua_st: '404' }],
  [
    'retries: refused, timed out, then answered',
    { ua_addr: '10.0.0.7:8080, 10.0.0.8:8080, [fd00::9]:8443', ua_st: '502, 504, 200', ua_ct: '-, 0.001, 0.002', ua_ht: '-, -, 0.050', ua_rt: '0.000, 1.000, 0.060', dur: '1.100' },
  ],
  ['unix socket upstream', { ua_addr: 'unix:/run/app.sock', ua_ct: '0.000' }],
  ['upstream group name', { ua_addr: 'backend-group', ua_st: '502', ua_ht: '-', ua_ct: '-' }],
  ['no upstream at all (return/static)', { ua_addr: '', ua_st: '', ua_ct: '', ua_ht: '', ua_rt: '' }],
  ['gRPC with status', { rpc: 'grpc:14', path: '/grpc.health.v1.Health/Check', rte: '', meth: 'POST', pv: 'HTTP/2.0' }],
  ['gRPC without status', { rpc: 'grpc:', path: '/helloworld.Greeter/SayHello', meth: 'POST', pv: 'HTTP/2.0', ua_st: '502', ua_ht: '-' }],
  ['gRPC with an odd path', { rpc: 'grpc:0', path: '/not-grpc', meth: 'POST' }],
  ['distrusted incoming context as a link', { ltid: '0af7651916cd43dd8448eb211c80319c', lsid: 'b9c7c989f97918e1', fmt: 'w3c' }],
  ['rejected headers and an njs error', { bad: 'traceparent,b3', err: 'E_PARSE', fmt: 'b3' }],
  ['unknown method', { meth: 'PURGE' }],
  ['query kept', { qry: 'q=shoes&page=2' }, 'none'],
  ['query redacted', { qry: 'token=secret&page=2' }, 'sensitive'],
  ['named service port, ingress context', { k_ns: 'shop', k_ing: 'web', k_svc: 'frontend', k_port: 'http' }],
  ['outside ingress-nginx (no context)', { k_ns: '-', k_ing: '-', k_svc: '-', k_port: '-' }],
  ['missing values', { ua: '-', host: '', rte: '', cpt: '', spt: '-', rqb: '-', rsb: '0', sch: '-', pv: '-' }],
  ['non-ASCII text', { path: '/produits/été/日本', ua: 'Agent/ü 🚀', host: 'bücher.example' }],
  ['upload before the first attempt', { ust: '1700000000.100', end: '1700000000.250', dur: '0.250' }],
  ['upstream start outside the span', { ust: '1600000000.000' }],
  ['odd times', { end: '1700000000.999', dur: '0.000', ua_rt: '0.000', ua_ht: '0.000', ua_ct: '0.000' }],
  ['HTTP/1.0 and long values', { pv: 'HTTP/1.0', path: '/' + 'a'.repeat(1000), ua: 'x'.repeat(256) }],
];

function mapped(overrides: RecordOverrides, redaction: QueryRedaction = 'all'): MappedSpan[] {
  return recordToSpans(record({ ...freshIds(), ...overrides }), { resource, scope: TRACING_SCOPE, queryRedaction: redaction });
}

describe('OTLP encoding from mapped spans', () => {
  it.each(CORPUS)('%s: same message as the SDK serializer', (_name, overrides, redaction) => {
    const spans = mapped(overrides, redaction);
    const ours = encodeTraceRequest(spans);
    const sdk = ProtobufTraceSerializer.serializeRequest(spans)!;
    // Decoded first, for a readable difference; then the bytes, which also cover
    // Span.flags (newer than the generated decoder, which skips it).
    expect(decoded(ours)).toEqual(decoded(sdk));
    expect(Buffer.from(ours).equals(Buffer.from(sdk))).toBe(true);
  });

  it('a whole batch of the corpus in one request, as the exporter sends it', () => {
    const spans = CORPUS.flatMap(([, overrides, redaction]) => mapped(overrides, redaction));
    const ours = decoded(encodeTraceRequest(spans)) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> };
    expect(ours).toEqual(decoded(ProtobufTraceSerializer.serializeRequest(spans)!));
    expect(Buffer.from(encodeTraceRequest(spans)).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(true);
    expect(ours.resourceSpans[0].scopeSpans[0].spans).toHaveLength(spans.length);
  });

  it('values that do not repeat (past the per-key cache) encode the same', () => {
    const spans = Array.from({ length: 300 }, (_, i) =>
      mapped({ path: `/items/${i}`, cpt: String(1024 + i), rsb: String(i * 7919), ua: `agent-${i % 97}`, ua_rt: (i / 1000).toFixed(3) }),
    ).flat();
    for (const batch of [spans.slice(0, 100), spans, spans.slice(250)]) {
      expect(Buffer.from(encodeTraceRequest(batch)).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!))).toBe(true);
    }
  });

  it('spans of two resources go to two ResourceSpans', () => {
    const other = buildResource({ serviceName: 'other', resourceAttributes: { 'a.number': '7' } });
    const spans = [...mapped({}), ...recordToSpans(record(freshIds()), { resource: other, scope: TRACING_SCOPE, queryRedaction: 'all' })];
    const ours = decoded(encodeTraceRequest(spans)) as { resourceSpans: unknown[] };
    expect(ours.resourceSpans).toHaveLength(2);
    expect(ours).toEqual(decoded(ProtobufTraceSerializer.serializeRequest(spans)!));
  });

  it('an empty batch is an empty request', () => {
    expect(decoded(encodeTraceRequest([]))).toEqual(decoded(ProtobufTraceSerializer.serializeRequest([])!));
  });
});
