/**
 * The files the chart renders, taken from the rendered manifests (not from
 * the repo), in real NGINX on every runtime inside an nginx.conf shaped like
 * ingress-nginx's, with the sidecar's single file run by `node` alone from a
 * folder without node_modules and the environment the chart renders (only
 * paths and ports rewritten): requests are traced, headers propagate, spans
 * reach an OTLP receiver with the Kubernetes attributes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import { FakeOtlpReceiver, OTLP_KIND, type ReceivedSpan } from '../support/fake-otlp.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { get, uniquePath } from '../integration/traced-nginx.js';
import { INCOMING_PARENT, INCOMING_TRACE, TRACEPARENT, waitFor } from '../sidecar/support/e2e.js';
import { GrpcUpstream, grpcUnary } from '../integration/grpc-upstream.js';
import { SidecarProcess } from '../sidecar/support/sidecar-process.js';
import { NGINX_TMPL, chartCopy, find, template, type Manifest } from './support/chart.js';
import { CHART_FILES_DIR, CHART_JS_MODULE, CHART_SPAN_FILE, describeRendered, renderedSnippets, sidecarEnv, stageChartFiles, stageSidecarFile } from './support/rendered.js';
import { ingressHttpConfig, snippetOrderInTemplate } from './support/ingress-nginx-conf.js';

/** What the Downward API would give the sidecar in the pod. */
const DOWNWARD = { POD_NAME: 'ingress-ingress-nginx-controller-7d9f8-x2x4q', POD_NAMESPACE: 'ingress', NODE_NAME: 'node-a' } as const;
const B3_IN = '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1';

/** Tracing on, B3 extracted and injected besides W3C (so the formats include is rendered too). */
const VALUES = [
  '--set', 'global.tracing.enabled=true',
  '--set', 'global.tracing.extract={w3c,b3}',
  '--set', 'global.tracing.inject={w3c,b3}',
  '--set', 'global.tracing.resourceAttributes.deployment\\.environment=test',
];

describeRendered('the chart-rendered files in an ingress-nginx-shaped nginx.conf', (runtime) => {
  let manifests: Manifest[];
  let nginx: Nginx;
  let sidecar: SidecarProcess;
  let sidecarDir: string;
  const otlp = new FakeOtlpReceiver();
  const grpcBackend = new GrpcUpstream({ status: 14 });

  beforeAll(async () => {
    manifests = await template(chartCopy(), VALUES);
    await Promise.all([otlp.start(), grpcBackend.start()]);
    const staged = mkdtempSync(join(tmpdir(), 'njs-tracing-rendered-'));
    afterAll(() => rmSync(staged, { recursive: true, force: true }));
    const snippets = renderedSnippets(manifests, runtime.jsModule);
    expect(snippets.config['main-snippet']).toContain(CHART_JS_MODULE);
    expect(snippets.config['http-snippet']).toContain(CHART_FILES_DIR);
    expect(snippets.config['location-snippet']).toContain(CHART_FILES_DIR);
    expect(find(manifests, 'ConfigMap', 'njs-tracing-files').data['tracing-http.conf']).toContain(CHART_SPAN_FILE);
    nginx = await startNginx({
      runtime,
      loadJsModule: false,
      main: snippets.main,
      files: stageChartFiles(manifests, staged),
      http: ingressHttpConfig(snippets, [
        { path: '/', namespace: 'shop', ingress: 'web', service: 'cart', servicePort: '8080', protocol: 'HTTP', upstream: '{{upstream:cart}}' },
        // nginx.ingress.kubernetes.io/backend-protocol: GRPC
        { path: '/shop.Inventory/', namespace: 'shop', ingress: 'inventory', service: 'inventory', servicePort: 'grpc', protocol: 'GRPC', upstream: grpcBackend.address },
      ]),
    });

    // The sidecar: the rendered single file, alone in a fresh folder, run by node.
    sidecarDir = mkdtempSync(join(tmpdir(), 'njs-tracing-node-only-'));
    afterAll(() => rmSync(sidecarDir, { recursive: true, force: true }));
    const sidecarPath = stageSidecarFile(manifests, sidecarDir);
    const env = sidecarEnv(manifests, DOWNWARD);
    const rewrite = (name: string, value: string) => {
      expect(env, `the chart renders ${name}`).toHaveProperty(name);
      env[name] = value;
    };
    rewrite('NJS_TRACING_FILE', join(nginx.prefix, 'logs', 'spans.log'));
    rewrite('NJS_TRACING_UDP_ADDRESS', '127.0.0.1:0');
    rewrite('NJS_TRACING_METRICS_ADDRESS', '127.0.0.1:0');
    rewrite('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${otlp.port}`);
    sidecar = await SidecarProcess.start(env, 15_000, { path: sidecarPath, cwd: sidecarDir });
  }, 60_000);

  afterAll(async () => {
    await sidecar?.stop();
    await Promise.all([otlp.stop(), grpcBackend.stop()]);
  });

  async function serverSpan(path: string): Promise<ReceivedSpan> {
    return waitFor(() => otlp.spans.find((s) => s.kind === OTLP_KIND.SERVER && s.attributes['url.path'] === path), 15_000,
      `no SERVER span for ${path}; sidecar logs: ${JSON.stringify(sidecar.logs.slice(-5))}`);
  }

  it('models the snippet insertion points of the real nginx.tmpl', () => {
    if (!existsSync(NGINX_TMPL)) return void console.warn(`nginx.tmpl fixture absent (${NGINX_TMPL}); order not re-checked`);
    expect(snippetOrderInTemplate(NGINX_TMPL)).toBe(true);
  });

  it('runs the sidecar with node alone: no node_modules anywhere above its folder', () => {
    for (let dir = sidecarDir; ; dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
      if (dir === parse(dir).root) break;
    }
  });

  it('continues an incoming W3C trace upstream next to the ingress headers, and exports the spans with the Kubernetes context', async () => {
    const path = uniquePath('w3c');
    const exchange = await get(nginx, path, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`, 'x-request-id': 'req-1' });
    expect(exchange.status).toBe(200);
    const upstream = exchange.upstream!;
    const [, traceId, clientSpanId] = TRACEPARENT.exec(header(upstream, 'traceparent') ?? '') ?? [];
    expect(traceId).toBe(INCOMING_TRACE);
    // The B3 header the formats include adds, the same context.
    expect(header(upstream, 'b3')).toMatch(new RegExp(`^${INCOMING_TRACE}-${clientSpanId}-1-[0-9a-f]{16}$`));
    // ingress-nginx's own header lines in the location still reach the upstream.
    expect(header(upstream, 'x-request-id')).toBe('req-1');
    expect(header(upstream, 'x-forwarded-host')).toBe(`127.0.0.1:${nginx.port('main')}`);

    const server = await serverSpan(path);
    expect(server.traceId).toBe(INCOMING_TRACE);
    expect(server.parentSpanId).toBe(INCOMING_PARENT);
    expect(server.name).toBe('GET /');
    expect(server.attributes).toMatchObject({
      'http.route': '/',
      'nginx.ingress.namespace': 'shop',
      'nginx.ingress.name': 'web',
      'nginx.ingress.service.name': 'cart',
      'nginx.ingress.service.port': 8080,
    });
    expect(server.resource).toMatchObject({
      'service.name': 'ingress-nginx',
      'k8s.pod.name': DOWNWARD.POD_NAME,
      'k8s.namespace.name': DOWNWARD.POD_NAMESPACE,
      'k8s.node.name': DOWNWARD.NODE_NAME,
      'deployment.environment': 'test',
    });
    const client = await waitFor(() => otlp.spans.find((s) => s.kind === OTLP_KIND.CLIENT && s.parentSpanId === server.spanId));
    expect(client.spanId).toBe(clientSpanId);
  });

  it('traces a gRPC backend: context through grpc_set_header, spans under the RPC conventions', async () => {
    const path = `/shop.Inventory/Reserve${process.pid}x${Date.now()}`;
    const reply = await grpcUnary(nginx.port('h2'), path, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` });
    expect(reply.grpcStatus).toBe('14');
    const call = grpcBackend.callTo(path)!;
    const [, traceId, clientSpanId] = TRACEPARENT.exec(String(call.headers.traceparent)) ?? [];
    expect(traceId).toBe(INCOMING_TRACE);
    expect(call.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/); // ingress-nginx's own grpc_set_header lines
    const server = await serverSpan(path);
    expect(server.name).toBe(`shop.Inventory/${path.split('/')[2]}`);
    expect(server.attributes).toMatchObject({
      'rpc.system': 'grpc', 'rpc.service': 'shop.Inventory', 'rpc.grpc.status_code': 14,
      'nginx.ingress.name': 'inventory', 'nginx.ingress.service.port': 'grpc', 'network.protocol.version': '2',
    });
    expect(server.statusCode).toBe(2); // UNAVAILABLE is a server fault: ERROR
    const client = await waitFor(() => otlp.spans.find((s) => s.kind === OTLP_KIND.CLIENT && s.parentSpanId === server.spanId));
    expect(client.spanId).toBe(clientSpanId);
  });

  it('continues an incoming B3 trace, as the extract knob rendered by the chart asks', async () => {
    const path = uniquePath('b3');
    const exchange = await get(nginx, path, { b3: B3_IN });
    expect(exchange.status).toBe(200);
    const [, traceId] = TRACEPARENT.exec(header(exchange.upstream!, 'traceparent') ?? '') ?? [];
    expect(traceId).toBe(B3_IN.split('-')[0]);
    expect((await serverSpan(path)).parentSpanId).toBe(B3_IN.split('-')[1]);
  });

  it('starts a new trace for a request without context, and ingress-nginx keeps its own access log', async () => {
    const path = uniquePath('new');
    const exchange = await get(nginx, path);
    const [, traceId] = TRACEPARENT.exec(header(exchange.upstream!, 'traceparent') ?? '') ?? [];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const server = await serverSpan(path);
    expect(server.traceId).toBe(traceId);
    expect(server.parentSpanId).toBe('');
    const accessLog = join(nginx.prefix, 'logs', 'ingress-access.log');
    await waitFor(() => (existsSync(accessLog) && readFileSync(accessLog, 'utf8').includes(`GET ${path} `) ? true : undefined), 5_000,
      'the ingress access log line is missing');
  });
});
