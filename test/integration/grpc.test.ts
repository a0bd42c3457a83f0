/**
 * gRPC backends (grpc_pass, ingress-nginx's backend-protocol GRPC): the
 * location includes inject the context with grpc_set_header lines, and the
 * record says the call was gRPC and which grpc-status came back. Real nginx on
 * every runtime, a real HTTP/2 gRPC exchange on both sides.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { GrpcUpstream, grpcUnary } from './grpc-upstream.js';
import { recordFor } from './traced-nginx.js';

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING_PARENT = '00f067aa0ba902b7';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[13]$/;

let sequence = 0;
/** A gRPC path no other call uses: /{package.Service}/{Method}. */
function grpcPath(service = 'njs.test.Echo'): string {
  sequence += 1;
  return `/${service}/Call${process.pid}x${sequence}`;
}

describeEachRuntime('gRPC backends', (runtime) => {
  let nginx: Nginx;
  const ok = new GrpcUpstream({ status: 0 });
  const unavailable = new GrpcUpstream({ status: 14 });
  const trailersOnly = new GrpcUpstream({ status: 5, trailersOnly: true });
  const oversized = new GrpcUpstream({ status: 123456 });

  beforeAll(async () => {
    await Promise.all([ok.start(), unavailable.start(), trailersOnly.start(), oversized.start()]);
    const grpc = (upstream: GrpcUpstream, settings = '') =>
      `{ ${settings} include tracing-location.conf; grpc_set_header X-Ingress-Own "kept"; grpc_pass grpc://${upstream.address}; }`;
    nginx = await startNginx({
      runtime,
      http: `
        include tracing-http.conf;
        server {
            listen 127.0.0.1:{{port:main}} http2;
            location /njs.test.Echo/ ${grpc(ok)}
            location /njs.test.B3/ ${grpc(ok, 'include tracing-location-formats.conf; set $tracing_inject "w3c,b3";')}
            location /njs.test.Unavailable/ ${grpc(unavailable)}
            location /njs.test.NotFound/ ${grpc(trailersOnly)}
            location /njs.test.Oversized/ ${grpc(oversized)}
        }`,
    });
  }, 30_000);

  afterAll(async () => {
    await Promise.all([ok.stop(), unavailable.stop(), trailersOnly.stop(), oversized.stop()]);
  });

  it('continues the incoming trace upstream through grpc_set_header, next to the location\'s own lines', async () => {
    const path = grpcPath();
    const reply = await grpcUnary(nginx.port('main'), path, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` });
    expect(reply).toMatchObject({ status: 200, grpcStatus: '0' });
    const call = ok.callTo(path)!;
    const [, traceId, clientSpanId] = TRACEPARENT.exec(String(call.headers.traceparent)) ?? [];
    expect(traceId).toBe(INCOMING_TRACE);
    expect(call.headers['x-ingress-own']).toBe('kept');
    expect(call.headers['x-njs-tracing-upstream-start']).toBeUndefined();
    const record = await recordFor(nginx, path);
    expect(record).toMatchObject({ traceId: INCOMING_TRACE, parentSpanId: INCOMING_PARENT, clientSpanId, rpcSystem: 'grpc', grpcStatus: 0, protocolVersion: '2' });
    // HTTP/2 has no Host header but :authority, which nginx gives as $http_host: server.address and server.port.
    expect(record).toMatchObject({ host: '127.0.0.1', serverPort: nginx.port('main') });
    expect(record.upstreamStartMs).not.toBeNull();
  });

  it('starts a new trace for a call without context', async () => {
    const path = grpcPath();
    await grpcUnary(nginx.port('main'), path);
    const [, traceId] = TRACEPARENT.exec(String(ok.callTo(path)!.headers.traceparent)) ?? [];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect((await recordFor(nginx, path)).traceId).toBe(traceId);
  });

  it('injects B3 into gRPC calls with the formats include', async () => {
    const path = grpcPath('njs.test.B3');
    await grpcUnary(nginx.port('main'), path, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` });
    const headers = ok.callTo(path)!.headers;
    const [, , clientSpanId] = TRACEPARENT.exec(String(headers.traceparent)) ?? [];
    expect(headers.b3).toMatch(new RegExp(`^${INCOMING_TRACE}-${clientSpanId}-1-[0-9a-f]{16}$`));
  });

  it('records the grpc-status from the trailers and from a trailers-only response', async () => {
    const failing = grpcPath('njs.test.Unavailable');
    expect((await grpcUnary(nginx.port('main'), failing)).grpcStatus).toBe('14');
    expect(await recordFor(nginx, failing)).toMatchObject({ rpcSystem: 'grpc', grpcStatus: 14, status: 200 });
    const notFound = grpcPath('njs.test.NotFound');
    expect((await grpcUnary(nginx.port('main'), notFound)).grpcStatus).toBe('5');
    expect(await recordFor(nginx, notFound)).toMatchObject({ rpcSystem: 'grpc', grpcStatus: 5 });
  });

  it('bounds what an upstream puts in grpc-status: only 0-99 reaches the record', async () => {
    const path = grpcPath('njs.test.Oversized');
    expect((await grpcUnary(nginx.port('main'), path)).grpcStatus).toBe('123456');
    expect(await recordFor(nginx, path)).toMatchObject({ rpcSystem: 'grpc', grpcStatus: null });
  });

  it('does not mark a request with another Content-Type as gRPC', async () => {
    const path = grpcPath();
    const reply = await grpcUnary(nginx.port('main'), path, { 'content-type': 'application/json' });
    expect(reply.status).toBe(200);
    expect((await recordFor(nginx, path)).rpcSystem).toBe('');
  });
});
