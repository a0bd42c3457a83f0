import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { recordToSpans } from '../../../src/sidecar/map/record-to-spans.js';
import { TRACING_SCOPE } from '../../../src/sidecar/map/resource.js';
import { ms, record, resource, spans } from '../support/spans.js';

const client = (overrides: Parameters<typeof spans>[0]) => spans(overrides)[1];

describe('CLIENT span status and error.type (HTTP semconv, client side)', () => {
  it('is an error for any status >= 400, with the status as error.type; not for 3xx', () => {
    for (const status of ['400', '404', '429', '500', '503']) {
      const span = client({ ua_st: status });
      expect(span.status.code, status).toBe(SpanStatusCode.ERROR);
      expect(span.attributes, status).toMatchObject({ 'http.response.status_code': Number(status), 'error.type': status });
    }
    const redirect = client({ ua_st: '302' });
    expect(redirect.status.code).toBe(SpanStatusCode.UNSET);
    expect(redirect.attributes).not.toHaveProperty('error.type');
  });

  it('keeps the SERVER span an error only for 5xx', () => {
    const [server, upstream] = spans({ st: '404', ua_st: '404' });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.attributes).not.toHaveProperty('error.type');
    expect(upstream.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('reports a refused connection as connect_error, without the 502 nginx made up', () => {
    const span = client({ st: '502', ua_st: '502', ua_ct: '-', ua_ht: '-', ua_rt: '0.000' });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('connect_error');
    expect(span.attributes).not.toHaveProperty('http.response.status_code');
  });

  it('reports a read timeout as timeout, without the 504 nginx made up', () => {
    const span = client({ st: '504', ua_st: '504', ua_ct: '0.001', ua_ht: '-', ua_rt: '1.000', dur: '1.001' });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('timeout');
    expect(span.attributes).not.toHaveProperty('http.response.status_code');
  });

  it('reports a connection closed before any answer as no_response', () => {
    const span = client({ st: '502', ua_st: '502', ua_ct: '0.001', ua_ht: '-', ua_rt: '0.002' });
    expect(span.attributes['error.type']).toBe('no_response');
    expect(span.attributes).not.toHaveProperty('http.response.status_code');
    expect(client({ ua_st: '-' }).attributes['error.type']).toBe('no_response');
  });

  it('keeps a 502 or 504 the upstream itself sent (it has a header time)', () => {
    for (const status of ['502', '504']) {
      const span = client({ ua_st: status, ua_ct: '0.001', ua_ht: '0.003', ua_rt: '0.004' });
      expect(span.attributes).toMatchObject({ 'http.response.status_code': Number(status), 'error.type': status });
    }
  });
});

describe('CLIENT span timing', () => {
  // The request: 1700000000.000 .. .600; the upload ends and nginx builds the upstream request at .500.
  const timed = { end: '1700000000.600', dur: '0.600', ua_ct: '0.001', ua_ht: '0.040', ua_rt: '0.050' };

  it('starts the first attempt when NGINX built the upstream request (ust), not at the request start', () => {
    const [server, upstream] = spans({ ...timed, ust: '1700000000.500' });
    expect(ms(server.startTime)).toBe(1_700_000_000_000);
    expect([ms(upstream.startTime), ms(upstream.endTime)]).toEqual([1_700_000_000_500, 1_700_000_000_550]);
  });

  it('lays further attempts back to back after ust, each lasting its response time', () => {
    const retried = { ...timed, ust: '1700000000.500', ua_addr: 'a:1, b:2', ua_st: '502, 200', ua_ct: '0.001, 0.001', ua_ht: '0.010, 0.030', ua_rt: '0.010, 0.040' };
    const [, first, second] = spans(retried);
    expect([ms(first.startTime), ms(first.endTime)]).toEqual([1_700_000_000_500, 1_700_000_000_510]);
    expect([ms(second.startTime), ms(second.endTime)]).toEqual([1_700_000_000_510, 1_700_000_000_550]);
  });

  it('moves the start earlier, keeping every attempt duration, when ust plus the attempts overrun the end (ms rounding)', () => {
    const [server, upstream] = spans({ ...timed, ust: '1700000000.580' });
    expect([ms(upstream.startTime), ms(upstream.endTime)]).toEqual([1_700_000_000_550, ms(server.endTime)]);
  });

  it('still clamps inside the SERVER span when the attempts alone outlast it', () => {
    const [server, first, second] = spans({ ...timed, ust: '1700000000.500', ua_addr: 'a:1, b:2', ua_st: '504, 200', ua_ct: '0.001, 0.001', ua_ht: '-, 0.300', ua_rt: '0.400, 0.400' });
    expect([ms(first.startTime), ms(first.endTime)]).toEqual([1_700_000_000_000, 1_700_000_000_400]);
    expect([ms(second.startTime), ms(second.endTime)]).toEqual([1_700_000_000_400, ms(server.endTime)]);
  });

  it('falls back to the request start when ust is missing or outside the SERVER span', () => {
    for (const ust of ['', '-', '1699999999.900', '1700000000.700']) {
      expect(ms(client({ ...timed, ust }).startTime), ust).toBe(1_700_000_000_000);
    }
  });

  it('falls back to the request start for a record parsed before upstreamStartMs existed', () => {
    const { upstreamStartMs: _dropped, ...older } = record({ ...timed, ust: '1700000000.500' });
    const [, upstream] = recordToSpans(older as Parameters<typeof recordToSpans>[0], { resource, scope: TRACING_SCOPE, queryRedaction: 'all' });
    expect(ms(upstream.startTime)).toBe(1_700_000_000_000);
  });
});
