/** gRPC calls follow the OpenTelemetry RPC conventions where the record knows enough. */
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parseRecord } from '../../../src/record/parse.js';
import { RECORD_FIELDS } from '../../../src/record/fields.js';
import { RECORD_LAYOUT_V2 } from '../../../src/record/fields-v2.js';
import { recordLine, recordLineV2 } from '../support/records.js';
import { spans } from '../support/spans.js';

const GRPC = { meth: 'POST', path: '/helloworld.Greeter/SayHello', rte: '/', pv: 'HTTP/2.0' } as const;

describe('gRPC spans', () => {
  it('names both spans {service}/{method} and adds rpc.* next to the HTTP attributes', () => {
    const [server, client] = spans({ ...GRPC, rpc: 'grpc:0' });
    for (const span of [server, client]) {
      expect(span.name).toBe('helloworld.Greeter/SayHello');
      expect(span.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'helloworld.Greeter', 'rpc.method': 'SayHello', 'http.request.method': 'POST' });
      expect(span.attributes['rpc.grpc.status_code']).toBe(0);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(server.attributes['url.path']).toBe('/helloworld.Greeter/SayHello');
  });

  it('marks a client-side failure (NOT_FOUND) an error only on the CLIENT span', () => {
    const [server, client] = spans({ ...GRPC, rpc: 'grpc:5' });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['rpc.grpc.status_code']).toBe(5);
  });

  it.each([['UNKNOWN', '2'], ['DEADLINE_EXCEEDED', '4'], ['UNIMPLEMENTED', '12'], ['INTERNAL', '13'], ['UNAVAILABLE', '14'], ['DATA_LOSS', '15']])(
    'marks a server fault (%s) an error on both spans', (_name, code) => {
      const [server, client] = spans({ ...GRPC, rpc: `grpc:${code}` });
      expect(server.status.code).toBe(SpanStatusCode.ERROR);
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
    });

  it('puts the status on the last attempt only, the one whose response NGINX passed on', () => {
    const retried = spans({ ...GRPC, rpc: 'grpc:0', ua_addr: '10.0.0.1:50051, 10.0.0.2:50051', ua_st: '502, 200', ua_ct: '0.001, 0.001', ua_ht: '0.002, 0.003', ua_rt: '0.002, 0.004' });
    const [, first, last] = retried;
    expect(first.attributes['rpc.grpc.status_code']).toBeUndefined();
    expect(last.attributes['rpc.grpc.status_code']).toBe(0);
    expect(first.attributes['rpc.system']).toBe('grpc');
  });

  it('keeps the HTTP span name when the path is not /{service}/{method}, and omits a status NGINX did not receive', () => {
    const [server] = spans({ ...GRPC, path: '/not-grpc-shaped', rte: '/api', rpc: 'grpc:' });
    expect(server.name).toBe('POST /api');
    expect(server.attributes['rpc.system']).toBe('grpc');
    expect(server.attributes['rpc.service']).toBeUndefined();
    expect(server.attributes['rpc.grpc.status_code']).toBeUndefined();
  });

  it('leaves HTTP requests alone', () => {
    const [server, client] = spans({ rpc: '' });
    expect(Object.keys(server.attributes).filter((k) => k.startsWith('rpc.'))).toEqual([]);
    expect(Object.keys(client.attributes).filter((k) => k.startsWith('rpc.'))).toEqual([]);
  });

  it('reads records written before the gRPC field existed, and ignores a status that is not 0-99', () => {
    // Version 2 added the field without a version bump (optional); version 3 writes it in field n.
    const old = JSON.parse(recordLineV2());
    delete old.rpc;
    const parsed = parseRecord(JSON.stringify(old));
    expect(parsed.ok && parsed.record).toMatchObject({ rpcSystem: '', grpcStatus: null });
    for (const value of ['grpc:123', 'grpc', 'grpc:1a', 'http:0']) {
      const parsed = parseRecord(recordLine({ rpc: value }));
      expect(parsed.ok && parsed.record.grpcStatus, value).toBe(null);
    }
    expect(parseRecord(recordLine({ rpc: 'grpc:' }))).toMatchObject({ ok: true, record: { rpcSystem: 'grpc', grpcStatus: null } });
    expect(RECORD_LAYOUT_V2.filter((f) => f.optional).map((f) => f.key)).toEqual(['rpc']);
    expect(RECORD_FIELDS.filter((f) => 'optional' in f)).toEqual([]);
  });
});
