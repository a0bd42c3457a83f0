/**
 * The chart's wiring of the per-Ingress policy, on the rendered manifests:
 * the maps in http-snippet are exactly what src/k8s renders (and what the
 * policy tests run in real nginx), the sidecar and the controller share the
 * policy directory and the process namespace, and the chart adds no RBAC:
 * the controller's ServiceAccount, which the sidecar runs as, already has
 * what the watcher uses, and with the feature off the sidecar never uses it.
 */
import { spawnWatched, until } from '../support/child-process.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, expect, it } from 'vitest';
import { renderPolicyConf } from '../../src/k8s/policy-conf.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { CHART, chartCopy, controllerConfig, controllerPod, describeWithHelm, template, type Manifest } from './support/chart.js';

const POLICY_DIR = '/etc/nginx/njs-tracing-policy';
const ON = ['--set', 'global.tracing.enabled=true', '--set', 'global.tracing.policy.mode=all'];
const TRACING_ONLY = ['--set', 'global.tracing.enabled=true'];
const KNOB_JS_VAR = /js_var \$tracing_(enabled|sample_ratio|sampler|extract|inject|trust_incoming|record_query|route)\b/;
const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

function sidecarOf(manifests: Manifest[]): any {
  return (controllerPod(manifests).initContainers ?? []).find((c: any) => c.name === 'njs-tracing-sidecar');
}
function envOf(container: any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
}
const ours = (m: Manifest) => String((m.metadata as any)?.labels?.['helm.sh/chart'] ?? '').startsWith('njs-tracing-');

describeWithHelm('helm chart: per-Ingress policy', () => {
  let chart: string;
  beforeAll(() => {
    chart = chartCopy();
  });

  it('puts the policy maps into http-snippet with the chart values as defaults, as tracing-policy.conf renders them', async () => {
    const manifests = await template(chart, [...ON, '--set', 'global.tracing.sampleRatio=0.25', '--set', 'global.tracing.trustIncoming=false',
      '--set', 'global.tracing.extract={w3c,b3}', '--set', 'global.tracing.inject={w3c,b3}']);
    const http = controllerConfig(manifests)['http-snippet'];
    const expected = renderPolicyConf(POLICY_DIR, { sample_ratio: '0.25', trust_incoming: 'off', extract: 'w3c,b3', inject: 'w3c,b3' });
    expect(http).toContain(expected.trim());
    // A js_var for a knob after the maps would replace its map: only the others stay js_var.
    expect(http).not.toMatch(KNOB_JS_VAR);
    expect(http).toMatch(/js_var \$tracing_sink file;/);
    expect(http.indexOf('tracing-http.conf')).toBeLessThan(http.indexOf('map "$namespace/$ingress_name"'));
    // The formats include is there (b3 injected), so the sidecar may accept b3 in annotations.
    expect(envOf(sidecarOf(manifests)).NJS_TRACING_POLICY_HEADERS).toBe('all');
  });

  it('mode "annotated" traces only Ingresses that opt in: the enabled map defaults to off', async () => {
    const http = controllerConfig(await template(chart, [...ON, '--set', 'global.tracing.policy.mode=annotated']))['http-snippet'];
    expect(http).toContain(renderPolicyConf(POLICY_DIR, { enabled: 'off' }).trim());
  });

  it('shares the policy directory (writable only by the sidecar) and the process namespace, and starts the controller after the first policy', async () => {
    const manifests = await template(chart, ON);
    const pod = controllerPod(manifests);
    const sidecar = sidecarOf(manifests);
    const controller = pod.containers.find((c: any) => c.name === 'controller');
    expect(pod.shareProcessNamespace).toBe(true);
    expect(pod.volumes).toContainEqual({ name: 'njs-tracing-policy', emptyDir: {} });
    expect(controller.volumeMounts).toContainEqual({ name: 'njs-tracing-policy', mountPath: POLICY_DIR, readOnly: true });
    expect(sidecar.volumeMounts).toContainEqual({ name: 'njs-tracing-policy', mountPath: POLICY_DIR });
    expect(sidecar.securityContext.runAsUser).toBe(101); // nginx's user: may signal its master
    expect(envOf(sidecar)).toMatchObject({
      NJS_TRACING_POLICY_DIR: POLICY_DIR,
      NJS_TRACING_POLICY_HEADERS: 'w3c',
      NJS_TRACING_POLICY_MAP_HASH_BUCKET_SIZE: '128',
    });
    expect(controllerConfig(manifests)['map-hash-bucket-size']).toBe('128');
    expect(sidecar.startupProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'tracing-metrics' } });
    expect(sidecar.readinessProbe).toBeUndefined();
  });

  it('mode "off" (the default): no maps, no policy settings for the sidecar, no startup probe', async () => {
    const manifests = await template(chart, TRACING_ONLY);
    const http = controllerConfig(manifests)['http-snippet'];
    expect(http).not.toContain('$tracing__policy');
    expect(http).toMatch(/js_var \$tracing_sampler parentbased_traceidratio;/);
    const sidecar = sidecarOf(manifests);
    expect(Object.keys(envOf(sidecar)).filter((name) => name.startsWith('NJS_TRACING_POLICY_'))).toEqual([]);
    expect(sidecar.startupProbe).toBeUndefined();
    expect(sidecar.volumeMounts.map((m: any) => m.name)).not.toContain('njs-tracing-policy');
  });

  it('grants no RBAC of its own; the controller ServiceAccount the sidecar runs as may list/watch Ingresses and create Events', async () => {
    for (const mode of ['all', 'annotated', 'off']) {
      const manifests = await template(chart, [...TRACING_ONLY, '--set', `global.tracing.policy.mode=${mode}`]);
      expect(manifests.filter((m) => RBAC_KINDS.includes(m.kind) && ours(m)).map((m) => m.kind), mode).toEqual([]);
      const account = controllerPod(manifests).serviceAccountName;
      const bindings = manifests.filter(
        (m) => m.kind === 'ClusterRoleBinding' && (m as any).subjects.some((s: any) => s.kind === 'ServiceAccount' && s.name === account),
      );
      const rules = bindings.flatMap((b) => (manifests.find((m) => m.kind === 'ClusterRole' && m.metadata.name === (b as any).roleRef.name) as any).rules);
      const allows = (group: string, resource: string, verb: string) =>
        rules.some((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
      for (const verb of ['get', 'list', 'watch']) expect(allows('networking.k8s.io', 'ingresses', verb), verb).toBe(true);
      expect(allows('', 'events', 'create')).toBe(true);
    }
  });

  it('wires the same into an ingress-nginx release of its own (ingress-nginx-values.yaml)', () => {
    const values = parseYaml(readFileSync(join(CHART, 'ingress-nginx-values.yaml'), 'utf8')).controller;
    expect(values.shareProcessNamespace).toBe(true);
    expect(values.config['map-hash-bucket-size']).toBe('128');
    expect(values.extraVolumes).toContainEqual({ name: 'njs-tracing-policy', emptyDir: {} });
    expect(values.extraVolumeMounts).toContainEqual({ name: 'njs-tracing-policy', mountPath: POLICY_DIR, readOnly: true });
    expect(values.extraInitContainers[0].volumeMounts).toContainEqual({ name: 'njs-tracing-policy', mountPath: POLICY_DIR });
  });

  it('the chart\'s single-file sidecar, with the environment the chart renders, follows the annotations', async () => {
    const manifests = await template(chart, ON);
    const env = envOf(sidecarOf(manifests));
    const api = new FakeKubeApi();
    await api.start();
    const dir = mkdtempSync(join(tmpdir(), 'njs-tracing-chart-policy-'));
    api.upsert({ namespace: 'shop', name: 'api', annotations: { 'njs-tracing.io/sample-ratio': '0.01' } });
    const sidecar = spawnWatched(process.execPath, [join(CHART, 'files', 'sidecar', 'njs-tracing-sidecar.cjs')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        // Paths and ports of this test instead of the pod's; the API from a kubeconfig instead of the ServiceAccount.
        NJS_TRACING_POLICY_DIR: join(dir, 'policy'),
        NJS_TRACING_POLICY_NGINX_PID_FILE: join(dir, 'nginx.pid'),
        NJS_TRACING_METRICS_ADDRESS: '127.0.0.1:0',
        NJS_TRACING_UDP_ADDRESS: '127.0.0.1:0',
        NJS_TRACING_FILE: '',
        OTEL_TRACES_EXPORTER: 'none',
        KUBECONFIG: api.writeKubeconfig(join(dir, 'kubeconfig')),
      },
    });
    try {
      const map = () => {
        try {
          return readFileSync(join(dir, 'policy', 'current', 'sample_ratio.map'), 'utf8');
        } catch {
          return '';
        }
      };
      await until('the policy from the single-file sidecar', () => map().includes('"0.01"'), { timeoutMs: 20_000, child: sidecar });
    } finally {
      sidecar.child.kill('SIGTERM');
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
