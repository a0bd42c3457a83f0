import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Ingest, type SpanConsumer } from '../../src/sidecar/ingest.js';
import { DeliveryTracker } from '../../src/sidecar/receive/delivery.js';
import { RateLimitedLog } from '../../src/sidecar/observe/logger.js';
import { SidecarMetrics } from '../../src/sidecar/observe/metrics.js';
import { TRACING_SCOPE } from '../../src/sidecar/map/resource.js';
import { metricValue } from './support/sidecar-process.js';
import { recordLine, type RecordOverrides } from './support/records.js';
import { resource } from './support/spans.js';

/** A consumer holding at most `capacity` spans. */
function ingest(capacity = 1000) {
  const metrics = new SidecarMetrics(10, false);
  const offered: ReadableSpan[][] = [];
  const consumer: SpanConsumer = {
    capacity,
    room: () => capacity - offered.flat().length,
    offer: (spans) => void offered.push([...spans]),
    whenRoom: () => new Promise(() => undefined),
  };
  const subject = new Ingest(metrics, { resource, scope: TRACING_SCOPE, queryRedaction: 'all' }, [consumer], new RateLimitedLog(pino({ level: 'silent' })));
  const value = async (name: string, labels: Record<string, string> = {}) => metricValue(await metrics.registry.metrics(), name, labels);
  const line = (text: string) => subject.handleLine(text, 'file');
  const marked = (text: string) => subject.handleLine(text, 'file', new DeliveryTracker(() => undefined).open());
  return { send: (overrides: RecordOverrides) => line(recordLine(overrides)), line, marked, offered, value };
}

describe('ingest', () => {
  it('exports spans of a sampled record and observes its layer latencies', async () => {
    const { send, offered, value } = ingest();
    send({ fl: '01' });
    expect(offered).toHaveLength(1);
    expect(offered[0]).toHaveLength(2);
    expect(await value('njs_tracing_layer_duration_seconds_count', { layer: 'total' })).toBe(1);
  });

  it('counts an unsampled record (rejected headers, njs error, received) but exports nothing and feeds no latency histogram', async () => {
    const { send, offered, value } = ingest();
    for (const fl of ['00', '02']) send({ fl, bad: 'traceparent,b3', err: 'E_EXTRACT' });
    expect(offered).toEqual([]);
    expect(await value('njs_tracing_records_received_total', { sink: 'file' })).toBe(2);
    expect(await value('njs_tracing_rejected_trace_headers_total', { header: 'traceparent' })).toBe(2);
    expect(await value('njs_tracing_rejected_trace_headers_total', { header: 'b3' })).toBe(2);
    expect(await value('njs_tracing_njs_errors_total', { code: 'e_extract' })).toBe(2);
    expect(await value('njs_tracing_layer_duration_seconds_count')).toBe(0);
    expect(await value('njs_tracing_records_malformed_total')).toBe(0);
  });

  it('counts, and survives, a line the parser chokes on (a JSON value nested thousands deep)', async () => {
    const { offered, value, line } = ingest();
    const depth = 12_000; // under MAX_RECORD_BYTES, deeper than JSON.stringify's stack allows
    expect(() => line('{"v":' + '['.repeat(depth) + ']'.repeat(depth) + '}')).not.toThrow();
    expect(await value('njs_tracing_records_malformed_total', { sink: 'file' })).toBe(1);
    expect(offered).toEqual([]);
  });

  it('refuses a file record whose spans do not fit, without counting it, so it can be offered again', async () => {
    const { marked, offered, value } = ingest(3);
    expect(marked(recordLine({ fl: '01' }))).toBe(true); // 2 spans
    expect(marked(recordLine({ fl: '01' }))).toBe(false); // 2 more do not fit in 1
    expect(await value('njs_tracing_records_received_total')).toBe(1);
    expect(await value('njs_tracing_layer_duration_seconds_count', { layer: 'total' })).toBe(1);
    // Lines that yield no spans never wait.
    expect(marked(recordLine({ fl: '00' }))).toBe(true);
    expect(marked('not json')).toBe(true);
    expect(offered).toHaveLength(1);
  });
});
