/** The layer model on hand-made traces: layers add up to the ingress span and land where the time went. */
import { describe, expect, it } from 'vitest';
import { breakdown } from '../../src/report/layers.js';
import { buildTraces } from '../../src/report/trace.js';
import { ingressTrace, span } from './fixtures.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const sum = (layers: Record<string, number>) => Object.values(layers).reduce((a, b) => a + b, 0);
const rounded = (layers: Record<string, number>) => Object.fromEntries(Object.entries(layers).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));

describe('layer breakdown', () => {
  it('splits an uninstrumented app by the ingress SERVER and CLIENT spans alone', () => {
    const spans = ingressTrace(TRACE, [
      { spanId: 'c000000000000001', startMs: 10, endMs: 90, attributes: { 'nginx.upstream.connect_time_ms': 5, 'nginx.upstream.header_time_ms': 60, 'nginx.upstream.response_time_ms': 80 } },
    ]);
    const [trace] = buildTraces(spans);
    const b = breakdown(trace);
    expect(rounded(b.layers)).toEqual({ nginx: 10, upstream_connect: 5, upstream_ttfb: 55, upstream_transfer: 20, rest: 10 });
    expect(sum(b.layers)).toBeCloseTo(100, 6);
    // The sidecar's histogram layers, from the same attributes.
    expect(b.ingress).toEqual({ total: 100, nginx: 20, upstream_connect: 5, upstream_header: 60, upstream_response: 80 });
  });

  it('gives app spans under a retried attempt to the failed attempt they overlap, and the rest to app and calls', () => {
    const lastAttempt = 'c000000000000002';
    const spans = ingressTrace(
      TRACE,
      [
        { spanId: 'c000000000000001', startMs: 5, endMs: 35, error: true, attributes: { 'nginx.upstream.connect_time_ms': 1, 'nginx.upstream.header_time_ms': 30, 'nginx.upstream.response_time_ms': 30 } },
        { spanId: lastAttempt, startMs: 35, endMs: 95, attributes: { 'nginx.upstream.connect_time_ms': 0, 'nginx.upstream.header_time_ms': 60, 'nginx.upstream.response_time_ms': 60 } },
      ],
      [
        // Both app SERVER spans carry the injected id of the last attempt, as NGINX sends one traceparent for all attempts.
        span({ spanId: 'b000000000000001', parentSpanId: lastAttempt, service: 'frontend', kind: 'server', name: 'GET /cart/{id}', startMs: 7, endMs: 34 }),
        span({ spanId: 'b000000000000002', parentSpanId: lastAttempt, service: 'frontend', kind: 'server', name: 'GET /cart/{id}', startMs: 37, endMs: 93 }),
        span({ spanId: 'b000000000000003', parentSpanId: 'b000000000000002', service: 'frontend', kind: 'client', name: 'SELECT', startMs: 40, endMs: 80, attributes: { 'db.system.name': 'postgresql' } }),
      ],
    );
    const b = breakdown(buildTraces(spans)[0]);
    expect(rounded(b.layers)).toEqual({
      nginx: 5,
      upstream_connect: 1,
      upstream_retry: 29,
      upstream_ttfb: 4,
      'app:frontend': 16,
      'call:frontend→postgresql': 40,
      rest: 5,
    });
    expect(sum(b.layers)).toBeCloseTo(100, 6);
  });

  it('counts a failed attempt that never connected as connect time', () => {
    const spans = ingressTrace(TRACE, [
      { spanId: 'c000000000000001', startMs: 0, endMs: 80, error: true, attributes: { 'nginx.upstream.response_time_ms': 80 } },
      { spanId: 'c000000000000002', startMs: 80, endMs: 100, attributes: { 'nginx.upstream.connect_time_ms': 0, 'nginx.upstream.header_time_ms': 20, 'nginx.upstream.response_time_ms': 20 } },
    ]);
    const b = breakdown(buildTraces(spans)[0]);
    expect(rounded(b.layers)).toEqual({ upstream_connect: 80, upstream_ttfb: 20 });
  });

  it('names an HTTP call after the service that answered it, minus that service’s own time', () => {
    const spans = [
      span({ spanId: 'a000000000000001', service: 'frontend', kind: 'server', name: 'GET /x', startMs: 0, endMs: 50 }),
      span({ spanId: 'a000000000000002', parentSpanId: 'a000000000000001', service: 'frontend', kind: 'client', name: 'GET', startMs: 10, endMs: 40 }),
      span({ spanId: 'a000000000000003', parentSpanId: 'a000000000000002', service: 'orders', kind: 'server', name: 'GET /o', startMs: 12, endMs: 38 }),
    ];
    const b = breakdown(buildTraces(spans)[0]);
    expect(b.ingress).toBeNull();
    expect(rounded(b.layers)).toEqual({ 'app:frontend': 20, 'call:frontend→orders': 4, 'app:orders': 26 });
  });
});
