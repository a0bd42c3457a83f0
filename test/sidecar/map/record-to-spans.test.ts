import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parseRecord } from '../../../src/record/parse.js';
import { TRACING_SCOPE } from '../../../src/sidecar/map/resource.js';
import { recordToSpans } from '../../../src/sidecar/map/record-to-spans.js';
import { recordLineV2 } from '../support/records.js';
import { ms, resource, spans } from '../support/spans.js';

describe('record to spans', () => {
  it('makes a SERVER span with the record ids, its incoming parent, and one CLIENT span whose id was injected upstream', () => {
    const [server, client, ...rest] = spans({ pid: '1111111111111111' });
    expect(rest).toEqual([]);
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext()).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
    expect(server.parentSpanContext).toMatchObject({ spanId: '1111111111111111', isRemote: true });
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(client.spanContext().spanId).toBe('b7ad6b7169203331');
    expect(client.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(client.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('makes the SERVER span a root when the record has no parent', () => {
    expect(spans({ pid: '' })[0].parentSpanContext).toBeUndefined();
  });

  it('places the SERVER span at [end - duration, end] and the attempt from the request start', () => {
    const [server, client] = spans({ end: '1700000000.250', dur: '0.250', ua_rt: '0.200' });
    expect(ms(server.startTime)).toBe(1_700_000_000_000);
    expect(ms(server.endTime)).toBe(1_700_000_000_250);
    expect(ms(server.duration)).toBe(250);
    expect(ms(client.startTime)).toBe(1_700_000_000_000);
    expect(ms(client.endTime)).toBe(1_700_000_000_200);
  });

  it('names the SERVER span "{method} {route}", or "{method}" without a route, and "HTTP" for unknown methods', () => {
    expect(spans({ rte: '/api/items' })[0].name).toBe('GET /api/items');
    expect(spans({ rte: '' })[0].name).toBe('GET');
    const [server] = spans({ meth: 'PROPFIND', rte: '' });
    expect(server.name).toBe('HTTP');
    expect(server.attributes['http.request.method']).toBe('_OTHER');
    expect(server.attributes['http.request.method_original']).toBe('PROPFIND');
  });

  it('writes stable HTTP semantic-convention attributes on the SERVER span', () => {
    const [server] = spans({ qry: 'q=shoes&token=abc', pv: 'HTTP/2.0' });
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/api/items/42',
      'url.scheme': 'http',
      'url.query': 'q=REDACTED&token=REDACTED',
      'http.route': '/api/items',
      'http.response.status_code': 200,
      'server.address': 'shop.example',
      'server.port': 80,
      'client.address': '10.1.2.3',
      'user_agent.original': 'curl/8.5.0',
      'network.protocol.version': '2',
      'http.request.size': 120,
      'http.response.size': 560,
      'nginx.ingress.namespace': 'shop',
      'nginx.ingress.name': 'shop-ingress',
      'nginx.ingress.service.name': 'items',
      'nginx.ingress.service.port': 8080,
    });
    // client.port is Opt-In in the HTTP server conventions: record version 3 leaves it out.
    expect(server.attributes['client.port']).toBeUndefined();
  });

  it('takes server.port from the Host header (v3), and both ports from older records', () => {
    expect(spans({ host: 'Shop.Example:8443' })[0].attributes).toMatchObject({ 'server.address': 'shop.example', 'server.port': 8443 });
    expect(spans({ host: 'shop.example', sch: 'https' })[0].attributes['server.port']).toBe(443);
    const parsed = parseRecord(recordLineV2({ spt: '8080', cpt: '51234' }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const [server] = recordToSpans(parsed.record, { resource, scope: TRACING_SCOPE, queryRedaction: 'all' });
    expect(server.attributes).toMatchObject({ 'server.address': 'shop.example', 'server.port': 8080, 'client.port': 51234 });
  });

  it('keeps the ingress-nginx context out of the k8s.* namespace, which the resource uses for the pod', () => {
    const [server, client] = spans();
    for (const span of [server, client]) {
      expect(Object.keys(span.attributes).filter((key) => key.startsWith('k8s.'))).toEqual([]);
      expect(span.resource.attributes).not.toHaveProperty('nginx.ingress.namespace');
    }
    expect(client.attributes).toMatchObject({ 'nginx.ingress.namespace': 'shop', 'nginx.ingress.service.name': 'items' });
    expect(client.attributes).not.toHaveProperty('nginx.ingress.name');
    // A Service port may be named; it stays a string then.
    expect(spans({ k_port: 'http' })[0].attributes['nginx.ingress.service.port']).toBe('http');
  });

  it('redacts only credential-like query values in "sensitive" mode and nothing in "none" mode', () => {
    expect(spans({ qry: 'q=shoes&token=abc&Signature=x' }, 'sensitive')[0].attributes['url.query']).toBe(
      'q=shoes&token=REDACTED&Signature=REDACTED',
    );
    expect(spans({ qry: 'q=shoes&token=abc' }, 'none')[0].attributes['url.query']).toBe('q=shoes&token=abc');
  });

  it('omits attributes NGINX had no value for', () => {
    const [server] = spans({ qry: '', rte: '', ua: '-', k_ns: '', k_ing: '', k_svc: '', k_port: '' });
    for (const key of ['url.query', 'http.route', 'user_agent.original', 'nginx.ingress.namespace', 'nginx.ingress.name', 'nginx.ingress.service.port']) {
      expect(server.attributes, key).not.toHaveProperty(key);
    }
  });

  it('marks the SERVER span as error only for 5xx', () => {
    expect(spans({ st: '404', ua_st: '404' })[0].status.code).toBe(SpanStatusCode.UNSET);
    const [server] = spans({ st: '503', ua_st: '503' });
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(server.attributes['error.type']).toBe('503');
  });


  it('makes one CLIENT span per attempt of a retried request, back to back, the last one carrying the injected id', () => {
    const overrides = {
      end: '1700000000.100', dur: '0.100',
      ua_addr: '10.0.0.7:8080, 10.0.0.8:8080', ua_st: '502, 200',
      ua_ct: '0.010, 0.001', ua_ht: '-, 0.020', ua_rt: '0.030, 0.050',
    };
    const [server, first, second] = spans(overrides);
    expect(second.spanContext().spanId).toBe('b7ad6b7169203331');
    expect(first.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(first.spanContext().spanId).not.toBe(second.spanContext().spanId);
    expect(first.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(second.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect([ms(first.startTime), ms(first.endTime)]).toEqual([1_700_000_000_000, 1_700_000_000_030]);
    expect([ms(second.startTime), ms(second.endTime)]).toEqual([1_700_000_000_030, 1_700_000_000_080]);
    // No header time: nginx made the 502 up (e.g. the connection was reset), so no status code.
    expect(first.attributes).toMatchObject({ 'server.address': '10.0.0.7', 'server.port': 8080, 'error.type': 'no_response' });
    expect(first.attributes).not.toHaveProperty('http.response.status_code');
    expect(first.attributes).not.toHaveProperty('http.request.resend_count');
    expect(second.attributes).toMatchObject({
      'server.address': '10.0.0.8',
      'http.request.resend_count': 1,
      'nginx.upstream.connect_time_ms': 1,
      'nginx.upstream.header_time_ms': 20,
      'nginx.upstream.response_time_ms': 50,
    });
    expect(first.attributes).not.toHaveProperty('nginx.upstream.header_time_ms');
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(second.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('derives earlier attempt ids deterministically, so replaying a record gives the same spans', () => {
    const overrides = { ua_addr: 'a:1, b:2, c:3', ua_st: '502, 502, 200', ua_rt: '0.01, 0.01, 0.01' };
    const ids = () => spans(overrides).map((span) => span.spanContext().spanId);
    expect(ids()).toEqual(ids());
    expect(new Set(ids()).size).toBe(4);
  });

  it('keeps every attempt inside the SERVER span even when the attempt times add up to more', () => {
    const [server, ...clients] = spans({ dur: '0.050', ua_addr: 'a:1, b:2', ua_st: '504, 200', ua_rt: '0.040, 0.040' });
    for (const client of clients) {
      expect(ms(client.startTime)).toBeGreaterThanOrEqual(ms(server.startTime));
      expect(ms(client.endTime)).toBeLessThanOrEqual(ms(server.endTime));
    }
  });

  it('makes no CLIENT span when NGINX answered without an upstream', () => {
    expect(spans({ ua_addr: '', ua_st: '', ua_ct: '', ua_ht: '', ua_rt: '' })).toHaveLength(1);
  });

  it('describes unix-socket upstreams as a unix peer', () => {
    const [, client] = spans({ ua_addr: 'unix:/run/app.sock' });
    expect(client.attributes).toMatchObject({ 'network.transport': 'unix', 'network.peer.address': '/run/app.sock' });
  });

  it('turns a distrusted incoming context into a link on a new root trace', () => {
    const [server] = spans({ pid: '', ltid: '0af7651916cd43dd8448eb211c80319c', lsid: 'b9c7c989f97918e1' });
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.links).toHaveLength(1);
    expect(server.links[0].context).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b9c7c989f97918e1' });
    expect(server.links[0].attributes).toEqual({ 'tracing.link.reason': 'distrusted_incoming_context' });
  });

  it('carries tracestate, trace flags, incoming format, rejected headers and njs errors', () => {
    // Sampled: the sidecar exports nothing for unsampled records (see ingest.test.ts).
    const [server, client] = spans({ tst: 'vendor=abc', fl: '03', fmt: 'b3', bad: 'traceparent,b3', err: 'E_EXTRACT' });
    expect(server.spanContext().traceState?.get('vendor')).toBe('abc');
    expect(server.spanContext().traceFlags).toBe(3);
    expect(client.spanContext().traceFlags).toBe(3);
    expect(client.spanContext().traceState?.serialize()).toBe('vendor=abc');
    expect(server.attributes).toMatchObject({
      'tracing.incoming_format': 'b3',
      'tracing.rejected_headers': ['traceparent', 'b3'],
      'tracing.njs_error': 'E_EXTRACT',
    });
  });

  it('gives every span the resource and the njs-tracing instrumentation scope', () => {
    for (const span of spans()) {
      expect(span.resource.attributes).toMatchObject({ 'service.name': 'ingress-nginx', 'k8s.pod.name': 'ingress-0' });
      expect(span.instrumentationScope.name).toBe('njs-tracing');
      expect(span.ended).toBe(true);
    }
  });
});
