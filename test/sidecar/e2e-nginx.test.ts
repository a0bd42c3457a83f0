/**
 * End to end through real NGINX on every runtime: client -> NGINX with the
 * includes -> echo upstream; NGINX writes span records to the file sink and
 * the UDP syslog sink; the real sidecar bin reads both and exports to a fake
 * OTLP receiver and a fake Jaeger collector that decode the real wire formats.
 * (Jaeger agent over UDP: e2e-jaeger.test.ts; upstream timing: e2e-timing.test.ts.)
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import { FakeJaeger } from '../support/fake-jaeger.js';
import { FakeOtlpReceiver, OTLP_KIND, OTLP_STATUS, type ReceivedSpan } from '../support/fake-otlp.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, lineHasPath, recordFor, uniquePath } from '../integration/traced-nginx.js';
import { freeUdpPort, INCOMING_PARENT, INCOMING_TRACE, TRACEPARENT, waitFor, windowMs } from './support/e2e.js';
import { SidecarProcess } from './support/sidecar-process.js';

/** `timed`: the retry group's second server, which notes when each request arrived. */
function httpConfig(timed: string): string {
  const traced = (settings: string, upstream = 'http://{{upstream:echo}}') =>
    `{ ${settings} include tracing-location.conf; proxy_pass ${upstream}; }`;
  return `
    include tracing-http.conf;
    upstream retry_group {
        server {{upstream:flaky}} max_fails=0;
        server ${timed} backup;
    }
    server {
        listen 127.0.0.1:{{port:main}};
        # A server with access_log lines of its own needs the sinks again.
        access_log {{logs}}/server-access.log;
        include tracing-log.conf;
        location /file/ ${traced('')}
        location /udp/ ${traced('set $tracing_sink udp;')}
        location /distrust/ ${traced('set $tracing_trust_incoming off;')}
        location /unsampled/ ${traced('set $tracing_sample_ratio 0;')}
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
  // Both retry attempts last ~30 ms, so a misplaced attempt window shows.
  const timed = new FakeUpstream({ delayMs: 30 });

  beforeAll(async () => {
    await Promise.all([otlp.start(), jaeger.start(), timed.start()]);
    const udpPort = await freeUdpPort();
    nginx = await startNginx({
      runtime,
      http: httpConfig(timed.address),
      syslogAddress: `127.0.0.1:${udpPort}`,
      upstreams: { flaky: { failFirst: 1_000_000, failWith: 'status', delayMs: 30 } },
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
    await Promise.all([otlp.stop(), jaeger.stop(), timed.stop()]);
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
      'nginx.ingress.namespace': 'shop',
      'nginx.ingress.name': 'web',
      'nginx.ingress.service.name': 'cart',
      'nginx.ingress.service.port': 8080,
    });
    expect(Object.keys(server.attributes).filter((key) => key.startsWith('k8s.'))).toEqual([]);
  });

  it('exports nothing for an unsampled request whose traceparent was rejected, but counts the rejection', async () => {
    const rejected = () => sidecar.metricValue('njs_tracing_rejected_trace_headers_total', { header: 'traceparent' });
    const before = await rejected();
    const path = uniquePath('unsampled');
    const exchange = await get(nginx, path, { traceparent: 'garbage' });
    expect(exchange.status).toBe(200);
    const [, traceId] = /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[02]$/.exec(header(exchange.upstream!, 'traceparent') ?? '') ?? [];
    expect(traceId).toBeDefined(); // a new, unsampled trace
    // The record reached the sidecar (it counted the rejection) ...
    for (const deadline = Date.now() + 10_000; (await rejected()) === before; ) {
      if (Date.now() > deadline) throw new Error('the rejected traceparent was not counted');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await rejected()).toBe(before + 1);
    // ... and several export rounds later (schedule delay 50 ms) nothing of it was exported.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(otlp.spans.filter((span) => span.traceId === traceId || span.attributes['url.path'] === path)).toEqual([]);
    expect(jaeger.spans.filter((span) => span.traceId === traceId)).toEqual([]);
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
    expect(last.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 1, 'server.port': timed.port });
    expect(last.statusCode).toBe(OTLP_STATUS.UNSET);
    // Each attempt lasts what NGINX measured for it, and the backup server got the request inside the last one.
    // nginx rounds each time to the millisecond, so the attempts may add up to 1 ms more than the request: 1 ms slack.
    const record = await recordFor(nginx, path);
    expect(record.upstream).toHaveLength(2);
    for (const [span, attempt] of [[first, record.upstream[0]], [last, record.upstream[1]]] as const) {
      expect(Math.abs(windowMs(span).end - windowMs(span).start - attempt.responseMs!)).toBeLessThanOrEqual(1);
    }
    const arrivedMs = timed.arrivalOf(path)!.arrivedMs;
    // nginx and Date.now() both truncate to the millisecond: 1 ms of slack each side.
    expect(arrivedMs).toBeGreaterThanOrEqual(windowMs(last).start - 1);
    expect(arrivedMs).toBeLessThanOrEqual(windowMs(last).end + 1);
    // ... and right at its start (a few ms for the connection and a busy test process), not 30 ms later.
    expect(arrivedMs - windowMs(last).start).toBeLessThanOrEqual(10);
  });

  it('marks the SERVER and CLIENT spans as errors when the upstream answers 503', async () => {
    const { path } = await tracedRequest('error', 503);
    const server = await waitFor(() => otlp.spans.find((span) => span.attributes['url.path'] === path));
    const client = await waitFor(() => otlp.spans.find((span) => span.parentSpanId === server.spanId));
    expect(server.statusCode).toBe(OTLP_STATUS.ERROR);
    expect(server.attributes['error.type']).toBe('503');
    expect(client.statusCode).toBe(OTLP_STATUS.ERROR);
  });

  it('keeps NGINX serving normally while the sidecar is killed, the span file growing meanwhile', async () => {
    await sidecar.stop('SIGKILL');
    const sizeBefore = statSync(nginx.spanFile.path).size;
    const paths: string[] = [];
    for (const location of ['file', 'udp', 'file']) {
      const started = Date.now();
      const { path, upstream } = await tracedRequest(location); // asserts the 200
      expect(Date.now() - started).toBeLessThan(1000);
      expect(header(upstream!, 'traceparent')).toMatch(TRACEPARENT);
      if (location === 'file') paths.push(path);
    }
    // The records wait in the file for the next sidecar (nginx flushes its log buffer within 1 s).
    await nginx.spanFile.waitFor((lines) => paths.every((path) => lines.some((line) => lineHasPath(line, path))));
    expect(statSync(nginx.spanFile.path).size).toBeGreaterThan(sizeBefore);
  });
});
