/**
 * End to end through real NGINX on every runtime: where the CLIENT span sits
 * in time. A client uploads a POST body slowly; NGINX (proxy_request_buffering
 * on, the default) reads all of it before it builds the upstream request, and
 * the record's `ust` says when that was. The CLIENT span must start then, not
 * at the request start, and cover the moment the upstream got the request.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeOtlpReceiver, OTLP_KIND, type ReceivedSpan } from '../support/fake-otlp.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { recordFor, uniquePath } from '../integration/traced-nginx.js';
import { INCOMING_PARENT, INCOMING_TRACE, INCOMING_TRACEPARENT, slowPost, waitFor, windowMs } from './support/e2e.js';
import { SidecarProcess } from './support/sidecar-process.js';

describeEachRuntime('sidecar end to end: upstream timing', (runtime) => {
  let nginx: Nginx;
  let sidecar: SidecarProcess;
  const otlp = new FakeOtlpReceiver();
  const app = new FakeUpstream();

  beforeAll(async () => {
    await Promise.all([otlp.start(), app.start()]);
    nginx = await startNginx({
      runtime,
      http: `
        include tracing-http.conf;
        server {
            listen 127.0.0.1:{{port:main}};
            location /upload/ { include tracing-location.conf; proxy_pass http://${app.address}; }
        }`,
    });
    sidecar = await SidecarProcess.start({
      NJS_TRACING_UDP_ADDRESS: '',
      NJS_TRACING_FILE: `${nginx.prefix}/logs/spans.log`,
      NJS_TRACING_FILE_START: 'beginning',
      NJS_TRACING_FILE_POLL_MS: '50',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
  }, 30_000);

  afterAll(async () => {
    await sidecar?.stop('SIGKILL');
    await Promise.all([otlp.stop(), app.stop()]);
  });

  const spanOf = (path: string, kind: number): Promise<ReceivedSpan> =>
    waitFor(() => otlp.spans.find((span) => span.kind === kind && span.attributes['url.path'] === path) ??
      (kind === OTLP_KIND.CLIENT ? clientOf(path) : undefined));
  const clientOf = (path: string) => {
    const server = otlp.spans.find((span) => span.kind === OTLP_KIND.SERVER && span.attributes['url.path'] === path);
    return server && otlp.spans.find((span) => span.kind === OTLP_KIND.CLIENT && span.parentSpanId === server.spanId);
  };

  it('starts the CLIENT span after a slow upload finished, covering the upstream arrival', async () => {
    const path = uniquePath('upload');
    // 6 pieces 100 ms apart: the body takes ~500 ms to arrive.
    const post = await slowPost(nginx.port('main'), path, { traceparent: INCOMING_TRACEPARENT });
    expect(post.response).toMatch(/^HTTP\/1\.1 200 /);
    expect(post.uploadDoneMs - post.sentAtMs).toBeGreaterThanOrEqual(450);

    const record = await recordFor(nginx, path);
    expect(record.upstreamStartMs, 'the record carries ust').not.toBeNull();
    const server = await spanOf(path, OTLP_KIND.SERVER);
    const client = await spanOf(path, OTLP_KIND.CLIENT);
    expect(server).toMatchObject({ traceId: INCOMING_TRACE, parentSpanId: INCOMING_PARENT });
    expect(client.parentSpanId).toBe(server.spanId);

    const serverWindow = windowMs(server);
    const clientWindow = windowMs(client);
    expect(serverWindow.start).toBeGreaterThanOrEqual(post.sentAtMs - 1);
    expect(clientWindow.start).toBeGreaterThanOrEqual(serverWindow.start + 400);
    // At ust, or up to 2 ms before when nginx's rounded times add up to more than end - ust.
    expect(clientWindow.start).toBeLessThanOrEqual(record.upstreamStartMs!);
    expect(clientWindow.start).toBeGreaterThanOrEqual(record.upstreamStartMs! - 2);
    expect(clientWindow.end).toBeLessThanOrEqual(serverWindow.end);

    const arrival = app.arrivalOf(path)!;
    expect(arrival.bodyBytes).toBe(600);
    // nginx's $msec and Date.now() both truncate to the millisecond: 1 ms of slack each side.
    expect(arrival.arrivedMs).toBeGreaterThanOrEqual(clientWindow.start - 1);
    expect(arrival.arrivedMs).toBeLessThanOrEqual(clientWindow.end + 1);
  });
});
