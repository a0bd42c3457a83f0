/**
 * End to end through real NGINX on every runtime: client -> NGINX with the
 * includes -> echo upstream; NGINX writes span records to the file sink and
 * the UDP syslog sink; the real sidecar bin reads both and exports to a fake
 * OTLP receiver and a fake Jaeger collector that decode the real wire formats.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import { FakeJaeger } from '../support/fake-jaeger.js';
import { FakeOtlpReceiver, OTLP_KIND, OTLP_STATUS, type ReceivedSpan } from '../support/fake-otlp.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, uniquePath } from '../integration/traced-nginx.js';
import { SidecarProcess } from './support/sidecar-process.js';

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING_PARENT = '00f067aa0ba902b7';
/** Sampled flag set; the random-trace-id flag (0x02, W3C Level 2) may be set too. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[13]$/;

/** A free UDP port for the sidecar, known before NGINX's config is written. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function httpConfig(): string {
  const traced = (settings: string, upstream = 'http://{{upstream:echo}}') =>
    `{ ${settings} include tracing-location.conf; proxy_pass ${upstream}; }`;
  return `
    include tracing-http.conf;
    upstream retry_group {
        server {{upstream:flaky}} max_fails=0;
        server {{upstream:echo}} backup;
    }
    server {
        listen 127.0.0.1:{{port:main}};
        # A server with access_log lines of its own needs the sinks again.
        access_log {{logs}}/server-access.log;
        include tracing-log.conf;
        location /file/ ${traced('')}
        location /udp/ ${traced('set $tracing_sink udp;')}
        location /distrust/ ${traced('set $tracing_trust_incoming off;')}
        location /k8s/ ${traced('set $namespace shop; set $ingress_name web; set $service_name cart; set $service_port 8080; set $location_path /k8s;')}
        location /retry/ ${traced('proxy_next_upstream error http_502;', 'http://retry_group')}
        location /error/ ${traced('', 'http://127.0.0.1:{{port:app_error}}')}
    }
    server {
        listen 127.0.0.1:{{port:app_error}};
        access_log off;
        location / { return 503; }
    }`;
}

describeEachRuntime('sidecar end to end through NGINX', (runtime) => {
  let nginx: Nginx;
  let sidecar: SidecarProcess;
  const otlp = new FakeOtlpReceiver();
  const jaeger = new FakeJaeger();

  beforeAll(async () => {
    await Promise.all([otlp.start(), jaeger.start()]);
    const udpPort = await freeUdpPort();
    nginx = await startNginx({
      runtime,
      http: httpConfig(),
      syslogAddress: `127.0.0.1:${udpPort}`,
      upstreams: { flaky: { failFirst: 1_000_000, failWith: 'status' } },
    });
    sidecar = await SidecarProcess.start({
      NJS_TRACING_UDP_ADDRESS: `127.0.0.1:${udpPort}`,
      NJS_TRACING_FILE: `${nginx.prefix}/logs/spans.log`,
      NJS_TRACING_FILE_START: 'beginning',
      NJS_TRACING_FILE_POLL_MS: '50',
      OTEL_TRACES_EXPORTER: 'otlp,jaeger',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
      OTEL_EXPORTER_JAEGER_ENDPOINT: jaeger.collectorUrl,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
  }, 30_000);

  afterAll(async () => {
    await sidecar?.stop('SIGKILL');
    await Promise.all([otlp.stop(), jaeger.stop()]);
  });

  async function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const spans = otlp.spans.filter((span) => span.traceId === traceId);
      if (spans.length >= count) return spans;
      if (Date.now() > deadline) {
        throw new Error(`OTLP got ${spans.length}/${count} spans of ${traceId}; sidecar logs: ${JSON.stringify(sidecar.logs.slice(-5))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Sends one request with an incoming W3C context and returns what the upstream saw plus the request window. */
  async function tracedRequest(location: string, expectedStatus = 200) {
    const path = uniquePath(location);
    const before = Date.now();
    const exchange = await get(nginx, path, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`, 'user-agent': 'e2e/1.0' });
    const after = Date.now();
    expect(exchange.status).toBe(expectedStatus);
    return { path, before, after, upstream: exchange.upstream };
  }

  function expectInWindow(span: ReceivedSpan, before: number, after: number): void {
    const startMs = Number(span.startTimeUnixNano / 1_000_000n);
    const endMs = Number(span.endTimeUnixNano / 1_000_000n);
    // nginx times have millisecond resolution
    expect(startMs).toBeGreaterThanOrEqual(before - 1);
    expect(endMs).toBeLessThanOrEqual(after + 1);
    expect(endMs).toBeGreaterThanOrEqual(startMs);
  }

  for (const sink of ['file', 'udp'] as const) {
    it(`continues the incoming trace with a SERVER and a CLIENT span whose id the upstream received (${sink} sink)`, async () => {
      const { path, before, after, upstream } = await tracedRequest(sink);
      const [, traceId, upstreamParent] = TRACEPARENT.exec(header(upstream!, 'traceparent') ?? '') ?? [];
      expect(traceId).toBe(INCOMING_TRACE);
      const server = await waitFor(() => otlp.spans.find((span) => span.kind === OTLP_KIND.SERVER && span.attributes['url.path'] === path));
      const client = await waitFor(() => otlp.spans.find((span) => span.kind === OTLP_KIND.CLIENT && span.parentSpanId === server.spanId));
      expect(server.parentSpanId).toBe(INCOMING_PARENT);
      expect(client.spanId).toBe(upstreamParent);
      expectInWindow(server, before, after);
      expectInWindow(client, before, after);
      expect(server.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'http.response.status_code': 200,
        'server.port': nginx.port('main'),
        'client.address': '127.0.0.1',
        'user_agent.original': 'e2e/1.0',
        'network.protocol.version': '1.1',
      });
      expect(client.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': nginx.upstream('echo').port, 'http.response.status_code': 200 });
      expect(server.statusCode).toBe(OTLP_STATUS.UNSET);
      expect(server.resource['service.name']).toBe('ingress-nginx');

      const jaegerServer = await jaeger.waitForSpans(1).then(() => waitFor(() => jaeger.spans.find((span) => span.spanId === server.spanId)));
      expect(jaegerServer).toMatchObject({ traceId: INCOMING_TRACE, parentSpanId: INCOMING_PARENT, serviceName: 'ingress-nginx' });
      expect(await sidecar.metricValue('njs_tracing_records_received_total', { sink })).toBeGreaterThanOrEqual(1);
    });
  }

  it('starts a new trace for a distrusted incoming context and links to it', async () => {
    const { path, upstream } = await tracedRequest('distrust');
    const [, traceId, upstreamParent] = TRACEPARENT.exec(header(upstream!, 'traceparent') ?? '') ?? [];
    expect(header(upstream!, 'traceparent')).toMatch(TRACEPARENT);
    expect(traceId).not.toBe(INCOMING_TRACE);
    const spans = await spansOf(traceId, 2);
    const server = spans.find((span) => span.kind === OTLP_KIND.SERVER)!;
    expect(server.attributes['url.path']).toBe(path);
    expect(server.parentSpanId).toBe('');
    expect(server.links).toMatchObject([{ traceId: INCOMING_TRACE, spanId: INCOMING_PARENT }]);
    expect(spans.find((span) => span.kind === OTLP_KIND.CLIENT)!.spanId).toBe(upstreamParent);
  });

  it('carries the Kubernetes context ingress-nginx sets into attributes and the span name', async () => {
    const { path } = await tracedRequest('k8s');
    const server = await waitFor(() => otlp.spans.find((span) => span.attributes['url.path'] === path));
    expect(server.name).toBe('GET /k8s');
    expect(server.attributes).toMatchObject({
      'http.route': '/k8s',
      'k8s.namespace.name': 'shop',
      'k8s.ingress.name': 'web',
      'k8s.service.name': 'cart',
      'k8s.service.port': '8080',
    });
  });

  it('makes one CLIENT span per upstream attempt of a retried request, the failed one marked as error', async () => {
    const { path, upstream } = await tracedRequest('retry');
    const [, , upstreamParent] = TRACEPARENT.exec(header(upstream!, 'traceparent') ?? '') ?? [];
    const server = await waitFor(() => otlp.spans.find((span) => span.attributes['url.path'] === path));
    const clients = await waitFor(() => {
      const found = otlp.spans.filter((span) => span.parentSpanId === server.spanId);
      return found.length === 2 ? found : undefined;
    });
    const last = clients.find((span) => span.spanId === upstreamParent)!;
    const first = clients.find((span) => span.spanId !== upstreamParent)!;
    expect(first.attributes).toMatchObject({ 'http.response.status_code': 502, 'server.port': nginx.upstream('flaky').port });
    expect(first.statusCode).toBe(OTLP_STATUS.ERROR);
    expect(last.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 1 });
    expect(last.statusCode).toBe(OTLP_STATUS.UNSET);
    expect(first.endTimeUnixNano).toBeLessThanOrEqual(last.startTimeUnixNano);
  });

  it('marks the SERVER and CLIENT spans as errors when the upstream answers 503', async () => {
    const { path } = await tracedRequest('error', 503);
    const server = await waitFor(() => otlp.spans.find((span) => span.attributes['url.path'] === path));
    const client = await waitFor(() => otlp.spans.find((span) => span.parentSpanId === server.spanId));
    expect(server.statusCode).toBe(OTLP_STATUS.ERROR);
    expect(server.attributes['error.type']).toBe('503');
    expect(client.statusCode).toBe(OTLP_STATUS.ERROR);
  });

  it('keeps NGINX serving normally while the sidecar is killed', async () => {
    await sidecar.stop('SIGKILL');
    for (const location of ['file', 'udp']) {
      const started = Date.now();
      const { upstream } = await tracedRequest(location);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(header(upstream!, 'traceparent')).toMatch(TRACEPARENT);
    }
  });
});

async function waitFor<T>(find: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('not found in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
