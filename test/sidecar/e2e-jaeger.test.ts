/**
 * End to end through real NGINX on every runtime, to Jaeger both ways: two
 * sidecar bins follow the same span file, one exporting Thrift over UDP to a
 * fake Jaeger agent (emitBatch, decoded with thriftrw), the other POSTing
 * Thrift to a fake collector (/api/traces). Every request must arrive at both
 * with the same ids, parents and tags.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import { FakeJaeger, type JaegerSpan } from '../support/fake-jaeger.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, recordFor, RETRY_UPSTREAM, uniquePath } from '../integration/traced-nginx.js';
import { INCOMING_PARENT, INCOMING_TRACE, INCOMING_TRACEPARENT, TRACEPARENT, waitFor } from './support/e2e.js';
import { SidecarProcess } from './support/sidecar-process.js';

const HTTP = `
    include tracing-http.conf;
    ${RETRY_UPSTREAM}
    server {
        listen 127.0.0.1:{{port:main}};
        location /k8s/ {
            set $namespace shop; set $ingress_name web; set $service_name cart; set $service_port 8080; set $location_path /k8s;
            include tracing-location.conf;
            proxy_pass http://{{upstream:echo}};
        }
        location /retry/ {
            include tracing-location.conf;
            proxy_next_upstream error http_502;
            proxy_pass http://retry_group;
        }
    }`;

describeEachRuntime('sidecar end to end to a Jaeger agent (UDP) and collector (HTTP)', (runtime) => {
  let nginx: Nginx;
  const sidecars: SidecarProcess[] = [];
  const agent = new FakeJaeger();
  const collector = new FakeJaeger();

  beforeAll(async () => {
    await Promise.all([agent.start(), collector.start()]);
    nginx = await startNginx({ runtime, http: HTTP, upstreams: { flaky: { failFirst: 1_000_000, failWith: 'status' } } });
    const common = {
      NJS_TRACING_UDP_ADDRESS: '',
      NJS_TRACING_FILE: `${nginx.prefix}/logs/spans.log`,
      NJS_TRACING_FILE_START: 'beginning',
      NJS_TRACING_FILE_POLL_MS: '50',
      NJS_TRACING_FILE_RECLAIM_BYTES: '0', // two readers: neither may punch holes the other still needs
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    };
    sidecars.push(
      await SidecarProcess.start({ ...common, OTEL_EXPORTER_JAEGER_AGENT_HOST: '127.0.0.1', OTEL_EXPORTER_JAEGER_AGENT_PORT: String(agent.agentPort) }),
      await SidecarProcess.start({ ...common, OTEL_EXPORTER_JAEGER_ENDPOINT: collector.collectorUrl }),
    );
  }, 30_000);

  afterAll(async () => {
    await Promise.all(sidecars.map((sidecar) => sidecar.stop('SIGKILL')));
    await Promise.all([agent.stop(), collector.stop()]);
  });

  const backends = () => [['agent (UDP)', agent], ['collector (HTTP)', collector]] as const;

  /** The spans of one trace a backend received whose parent or own id is `serverSpanId`. */
  const spansOf = (backend: FakeJaeger, serverSpanId: string, count: number) =>
    waitFor(() => {
      const found = backend.spans.filter((span) => span.spanId === serverSpanId || span.parentSpanId === serverSpanId);
      return found.length >= count ? found : undefined;
    }, 10_000, `fewer than ${count} spans of ${serverSpanId}`);

  it('delivers the SERVER and CLIENT spans of a request with ids, parents and tags to both', async () => {
    const path = uniquePath('k8s');
    const exchange = await get(nginx, path, { traceparent: INCOMING_TRACEPARENT });
    expect(exchange.status).toBe(200);
    const [, traceId, injected] = TRACEPARENT.exec(header(exchange.upstream!, 'traceparent') ?? '') ?? [];
    expect(traceId).toBe(INCOMING_TRACE);
    const record = await recordFor(nginx, path);

    for (const [name, backend] of backends()) {
      const spans = await spansOf(backend, record.spanId, 2);
      const server = spans.find((span) => span.spanId === record.spanId)!;
      const client = spans.find((span) => span.spanId === injected)!;
      expect(server, name).toMatchObject({ traceId: INCOMING_TRACE, parentSpanId: INCOMING_PARENT, operationName: 'GET /k8s', serviceName: 'ingress-nginx' });
      expect(server.tags, name).toMatchObject({
        'span.kind': 'server',
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'url.path': path,
        'http.route': '/k8s',
        'nginx.ingress.namespace': 'shop',
        'nginx.ingress.name': 'web',
        'nginx.ingress.service.name': 'cart',
        'nginx.ingress.service.port': 8080,
      });
      expect(client, name).toMatchObject({ traceId: INCOMING_TRACE, parentSpanId: record.spanId, operationName: 'GET' });
      expect(client.tags, name).toMatchObject({
        'span.kind': 'client',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'server.port': nginx.upstream('echo').port,
      });
      expect(client.startTimeUs, name).toBeGreaterThanOrEqual(server.startTimeUs);
      expect(client.startTimeUs + client.durationUs, name).toBeLessThanOrEqual(server.startTimeUs + server.durationUs);
    }
    expect([...agent.decodeErrors, ...collector.decodeErrors]).toEqual([]);
  });

  it('delivers both attempts of a retried request, the failed one tagged as an error', async () => {
    const path = uniquePath('retry');
    const exchange = await get(nginx, path, { traceparent: INCOMING_TRACEPARENT });
    const [, , injected] = TRACEPARENT.exec(header(exchange.upstream!, 'traceparent') ?? '') ?? [];
    const record = await recordFor(nginx, path);

    for (const [name, backend] of backends()) {
      const spans: JaegerSpan[] = await spansOf(backend, record.spanId, 3);
      const clients = spans.filter((span) => span.parentSpanId === record.spanId);
      expect(clients, name).toHaveLength(2);
      const last = clients.find((span) => span.spanId === injected)!;
      const first = clients.find((span) => span.spanId !== injected)!;
      expect(first.tags, name).toMatchObject({ 'span.kind': 'client', 'http.response.status_code': 502, 'error.type': '502', error: true, 'otel.status_code': 'ERROR' });
      expect(last.tags, name).toMatchObject({ 'span.kind': 'client', 'http.response.status_code': 200, 'http.request.resend_count': 1 });
      expect(last.tags, name).not.toHaveProperty('error');
    }
  });
});
