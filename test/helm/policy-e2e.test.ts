/**
 * The per-Ingress policy as the chart deploys it: the rendered ConfigMap
 * snippets and files in real NGINX (every runtime) inside an nginx.conf
 * shaped like ingress-nginx's, and the chart's single-file sidecar, run by
 * node alone with the environment the chart renders (paths, ports and the
 * API's address rewritten), watching a Kubernetes API double and reloading
 * NGINX through its pid file (the pod: shareProcessNamespace and /proc).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, uniquePath } from '../integration/traced-nginx.js';
import { SidecarProcess } from '../sidecar/support/sidecar-process.js';
import { chartCopy, controllerConfig, controllerPod, find, helmMissing, template, type Manifest } from './support/chart.js';
import { ingressHttpConfig } from './support/ingress-nginx-conf.js';

const CHART_FILES_DIR = '/etc/nginx/njs-tracing';
const CHART_POLICY_DIR = '/etc/nginx/njs-tracing-policy';
const CHART_SPAN_FILE = '/var/log/njs-tracing/spans.log';
const CHART_JS_MODULE = '/etc/nginx/modules/ngx_http_js_module.so';
const P = 'njs-tracing.io/';

const missing = helmMissing();
const describeRendered: typeof describeEachRuntime = missing
  ? (title) => describe.skip(`${title} (skipped: ${missing})`, () => it('needs helm and the ingress-nginx fixture', () => undefined))
  : describeEachRuntime;

describeRendered('the chart\'s per-Ingress policy in an ingress-nginx-shaped nginx.conf', (runtime) => {
  const api = new FakeKubeApi();
  let nginx: Nginx;
  let sidecar: SidecarProcess;
  let work = '';

  beforeAll(async () => {
    const manifests: Manifest[] = await template(chartCopy(), ['--set', 'global.tracing.enabled=true', '--set', 'global.tracing.policy.mode=annotated']);
    const config = controllerConfig(manifests);
    const files = find(manifests, 'ConfigMap', 'njs-tracing-files').data as Record<string, string>;
    // The policy directory must be inside the chroot of the sid runtimes.
    work = mkdtempSync(join(runtime.root ? join(runtime.root, 'tmp') : tmpdir(), 'njs-tracing-chart-policy-'));
    chmodSync(work, 0o755);
    const policyDir = join(work, 'policy');
    const policyDirSeen = runtime.root ? '/' + relative(runtime.root, policyDir) : policyDir;
    const copies = Object.entries(files).map(([name, text]) => {
      writeFileSync(join(work, name), text.replaceAll(CHART_SPAN_FILE, 'logs/spans.log'));
      return { from: join(work, name), to: `conf/njs-tracing/${name}` };
    });
    // The policy directory first: the files directory's path is a prefix of it.
    const at = (snippet: string) => snippet.replaceAll(CHART_POLICY_DIR, policyDirSeen).replaceAll(CHART_FILES_DIR, '{{conf}}/njs-tracing');
    expect(config['http-snippet']).toContain(`${CHART_POLICY_DIR}/current/ingresses*.map`);

    await api.start();
    api.upsert({ namespace: 'shop', name: 'web', annotations: { [P + 'enabled']: 'true' } });
    api.upsert({ namespace: 'shop', name: 'api' });
    nginx = await startNginx({
      runtime,
      loadJsModule: false,
      main: config['main-snippet'].replaceAll(CHART_JS_MODULE, runtime.jsModule),
      files: copies,
      http: ingressHttpConfig({ http: at(config['http-snippet']), location: at(config['location-snippet']) }, [
        { path: '/web/', namespace: 'shop', ingress: 'web', service: 'web', servicePort: '80', protocol: 'HTTP', upstream: '{{upstream:app}}' },
        { path: '/api/', namespace: 'shop', ingress: 'api', service: 'api', servicePort: '80', protocol: 'HTTP', upstream: '{{upstream:app}}' },
      ]),
    });

    const sidecarFile = find(manifests, 'ConfigMap', 'njs-tracing-sidecar').data['njs-tracing-sidecar.cjs'] as string;
    writeFileSync(join(work, 'njs-tracing-sidecar.cjs'), sidecarFile);
    const container = controllerPod(manifests).initContainers.find((c: any) => c.name === 'njs-tracing-sidecar');
    const env: Record<string, string> = {};
    for (const entry of container.env) if ('value' in entry) env[entry.name] = entry.value;
    expect(env.NJS_TRACING_POLICY_DIR).toBe(CHART_POLICY_DIR);
    sidecar = await SidecarProcess.start(
      {
        ...env,
        NJS_TRACING_POLICY_DIR: policyDir,
        NJS_TRACING_POLICY_NGINX_PID_FILE: join(nginx.prefix, 'nginx.pid'),
        NJS_TRACING_FILE: '',
        NJS_TRACING_UDP_ADDRESS: '127.0.0.1:0',
        NJS_TRACING_METRICS_ADDRESS: '127.0.0.1:0',
        OTEL_TRACES_EXPORTER: 'none',
        KUBECONFIG: api.writeKubeconfig(join(work, 'kubeconfig')),
      },
      15_000,
      { path: join(work, 'njs-tracing-sidecar.cjs'), cwd: work },
    );
  }, 60_000);

  afterAll(async () => {
    await sidecar?.stop();
    await api.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const traced = async (location: string) => {
    const { upstream } = await get(nginx, uniquePath(location));
    return header(upstream!, 'traceparent') !== undefined;
  };
  const converge = async (expected: Record<string, boolean>) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const now = { web: await traced('web'), api: await traced('api') };
      if (JSON.stringify(now) === JSON.stringify(expected)) return;
      if (Date.now() > deadline) expect(now).toEqual(expected);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('traces only the Ingress that opted in, and follows an annotation added to another', async () => {
    await converge({ web: true, api: false });
    api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'enabled']: 'true' } });
    await converge({ web: true, api: true });
  });
});
