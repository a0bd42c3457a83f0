/**
 * The per-Ingress policy as the chart deploys it: the rendered ConfigMap
 * snippets and files in real NGINX (every runtime) inside an nginx.conf
 * shaped like ingress-nginx's, and the chart's single-file sidecar, run by
 * node alone with the environment the chart renders (paths, ports and the
 * API's address rewritten), watching a Kubernetes API double and reloading
 * NGINX through its pid file (the pod: shareProcessNamespace and /proc).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { get, uniquePath } from '../integration/traced-nginx.js';
import { SidecarProcess } from '../sidecar/support/sidecar-process.js';
import { chartCopy, template, type Manifest } from './support/chart.js';
import { CHART_POLICY_DIR, describeRendered, renderedSnippets, sidecarEnv, stageChartFiles, stageSidecarFile } from './support/rendered.js';
import { ingressHttpConfig } from './support/ingress-nginx-conf.js';

const P = 'njs-tracing.io/';

describeRendered('the chart\'s per-Ingress policy in an ingress-nginx-shaped nginx.conf', (runtime) => {
  const api = new FakeKubeApi();
  let nginx: Nginx;
  let sidecar: SidecarProcess;
  let work = '';

  beforeAll(async () => {
    const manifests: Manifest[] = await template(chartCopy(), ['--set', 'global.tracing.enabled=true', '--set', 'global.tracing.policy.mode=annotated']);
    // The policy directory must be inside the chroot of the sid runtimes.
    work = mkdtempSync(join(runtime.root ? join(runtime.root, 'tmp') : tmpdir(), 'njs-tracing-chart-policy-'));
    chmodSync(work, 0o755);
    const policyDir = join(work, 'policy');
    const policyDirSeen = runtime.root ? '/' + relative(runtime.root, policyDir) : policyDir;
    const snippets = renderedSnippets(manifests, runtime.jsModule, policyDirSeen);
    expect(snippets.config['http-snippet']).toContain(`${CHART_POLICY_DIR}/current/ingresses*.map`);

    await api.start();
    api.upsert({ namespace: 'shop', name: 'web', annotations: { [P + 'enabled']: 'true' } });
    api.upsert({ namespace: 'shop', name: 'api' });
    nginx = await startNginx({
      runtime,
      loadJsModule: false,
      main: snippets.main,
      files: stageChartFiles(manifests, work),
      http: ingressHttpConfig(snippets, [
        { path: '/web/', namespace: 'shop', ingress: 'web', service: 'web', servicePort: '80', protocol: 'HTTP', upstream: '{{upstream:app}}' },
        { path: '/api/', namespace: 'shop', ingress: 'api', service: 'api', servicePort: '80', protocol: 'HTTP', upstream: '{{upstream:app}}' },
      ]),
    });

    const sidecarPath = stageSidecarFile(manifests, work);
    const env = sidecarEnv(manifests);
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
      { path: sidecarPath, cwd: work },
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
