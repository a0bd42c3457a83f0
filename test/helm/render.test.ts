/**
 * The chart through real helm: lint and template of every documented scenario
 * (helm/njs-tracing/ci/*-values.yaml), the manifests validated against the
 * Kubernetes API schemas, and what each scenario wires into ingress-nginx.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import {
  CHART, INGRESS_NGINX_TGZ, REPO, chartCopy, controllerConfig, controllerPod, describeWithHelm, find, helm, parseManifests,
  template, type Manifest,
} from './support/chart.js';
import { validateAll } from './support/kube-schema.js';
import { parse as parseYaml } from 'yaml';

const SCENARIOS = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();
const BUILT_SPAN_FILE = '/var/log/nginx/njs-tracing-spans.log';
const CHART_SPAN_FILE = '/var/log/njs-tracing/spans.log';

function sidecarOf(manifests: Manifest[]): any {
  const found = (controllerPod(manifests).initContainers ?? []).filter((c: any) => c.name.startsWith('njs-tracing'));
  expect(found).toHaveLength(1);
  return found[0];
}

function envOf(container: any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
}

describeWithHelm('helm chart helm/njs-tracing', () => {
  let chart: string;
  const rendered = new Map<string, Manifest[]>();
  beforeAll(async () => {
    chart = chartCopy();
    for (const scenario of ['default', ...SCENARIOS]) {
      rendered.set(scenario, await template(chart, scenario === 'default' ? [] : ['-f', join(chart, 'ci', scenario)]));
    }
  }, 60_000);

  it('documents every value in the chart README\'s table', () => {
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    const whole = new Set(['resources', 'securityContext', 'resourceAttributes', 'podSelector', 'annotations', 'labels', 'config']);
    const paths: string[] = [];
    const walk = (value: unknown, path: string) => {
      const key = path.split('.').pop()!;
      if (value && typeof value === 'object' && !Array.isArray(value) && !whole.has(key) && Object.keys(value).length > 0) {
        for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      } else paths.push(path);
    };
    const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    walk({ global: values.global, nameOverride: '', fullnameOverride: '' }, '');
    paths.push('ingress-nginx.enabled');
    expect(paths.length).toBeGreaterThan(40);
    expect(paths.filter((path) => !readme.includes(`| \`${path}\` |`))).toEqual([]);
  });

  it('documents every scenario the issue names', () => {
    expect(SCENARIOS).toEqual(expect.arrayContaining(['enabled-values.yaml', 'disabled-values.yaml', 'b3-values.yaml', 'jaeger-values.yaml', 'standalone-values.yaml']));
  });

  it.each(['default', ...SCENARIOS])('passes helm lint (%s)', async (scenario) => {
    const args = scenario === 'default' ? [] : ['-f', join(chart, 'ci', scenario)];
    const result = await helm(['lint', chart, '--strict', ...args]);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it.each(['default', ...SCENARIOS])('renders manifests valid against the Kubernetes API schemas (%s)', async (scenario) => {
    const manifests = rendered.get(scenario)!;
    expect(manifests.length).toBeGreaterThan(0);
    expect(await validateAll(manifests)).toEqual([]);
  });

  it('the schema check catches a wrong type in a rendered pod (so the checks above can fail)', async () => {
    const deployment = structuredClone(find(rendered.get('enabled-values.yaml')!, 'Deployment', /controller$/));
    deployment.spec.template.spec.initContainers[0].ports[0].containerPort = '9464';
    expect(await validateAll([deployment])).toEqual([expect.stringContaining('containerPort must be integer')]);
    delete deployment.spec.template.spec.initContainers[0].ports;
    delete deployment.spec.template.spec.initContainers[0].name;
    expect(await validateAll([deployment])).toEqual([expect.stringContaining('initContainers/0 must have required property name')]);
  });

  it('turned off, gives the plain controller: empty snippet keys, nothing of ours but a no-op init container', () => {
    for (const scenario of ['default', 'disabled-values.yaml']) {
      const manifests = rendered.get(scenario)!;
      const config = controllerConfig(manifests);
      expect([config['main-snippet'], config['http-snippet'], config['location-snippet']]).toEqual(['', '', '']);
      expect(manifests.filter((m) => m.metadata.name.startsWith('njs-tracing') || m.metadata.labels?.['app.kubernetes.io/name'] === 'njs-tracing')).toEqual([]);
      const init = sidecarOf(manifests);
      expect(init.name).toBe('njs-tracing-off');
      expect(init.command).toEqual(['/bin/true']);
      expect(init.restartPolicy).toBeUndefined();
      // The controller's own image, already on the node: nothing new to pull.
      expect(init.image).toBe(find(manifests, 'Deployment', /controller$/).spec.template.spec.containers[0].image);
    }
  });

  it('turned on, sets the three controller ConfigMap keys: module, http include and knobs, location include', () => {
    const config = controllerConfig(rendered.get('enabled-values.yaml')!);
    expect(config['main-snippet']).toBe('load_module /etc/nginx/modules/ngx_http_js_module.so;\npcre_jit on;');
    expect(config['http-snippet'].split('\n')).toEqual([
      'js_path "/etc/nginx/njs-tracing/";',
      'include /etc/nginx/njs-tracing/tracing-http.conf;',
      'js_var $tracing_sampler parentbased_traceidratio;',
      'js_var $tracing_sample_ratio 1;',
      'js_var $tracing_extract w3c;',
      'js_var $tracing_inject w3c;',
      'js_var $tracing_trust_incoming on;',
      'js_var $tracing_record_query off;',
      'js_var $tracing_sink file;',
      'js_var $tracing_traceresponse off;',
    ]);
    expect(config['location-snippet']).toBe('include /etc/nginx/njs-tracing/tracing-location.conf;');
    // Secure by default: snippet annotations stay off (ingress-nginx writes the key only when allowed).
    expect(config['allow-snippet-annotations']).toBeUndefined();
    expect(config['annotations-risk-level']).toBeUndefined();
  });

  it('adds the formats include and the knob values for B3 injection, a ratio and distrust', () => {
    const config = controllerConfig(rendered.get('b3-values.yaml')!);
    expect(config['http-snippet']).toContain('js_var $tracing_sample_ratio 0.1;');
    expect(config['http-snippet']).toContain('js_var $tracing_extract w3c,b3,b3multi;');
    expect(config['http-snippet']).toContain('js_var $tracing_inject w3c,b3;');
    expect(config['http-snippet']).toContain('js_var $tracing_trust_incoming off;');
    expect(config['location-snippet'].split('\n')).toEqual([
      'include /etc/nginx/njs-tracing/tracing-location.conf;',
      'include /etc/nginx/njs-tracing/tracing-location-formats.conf;',
    ]);
  });

  it('mounts tracing.js and the include files exactly as built, the span file moved to the shared emptyDir', () => {
    const manifests = rendered.get('enabled-values.yaml')!;
    const files = find(manifests, 'ConfigMap', 'njs-tracing-files').data;
    expect(files['tracing.js']).toBe(readFileSync(join(REPO, 'njs', 'tracing.js'), 'utf8').replace(/\n$/, ''));
    const confs = readdirSync(join(REPO, 'nginx-conf'));
    expect(confs.length).toBeGreaterThan(0);
    for (const name of confs) {
      const built = readFileSync(join(REPO, 'nginx-conf', name), 'utf8').replace(/\n$/, '');
      expect(files[name], name).toBe(built.replaceAll(BUILT_SPAN_FILE, CHART_SPAN_FILE));
    }
    expect(files['tracing-http.conf']).toContain(`access_log ${CHART_SPAN_FILE} `);
    const pod = controllerPod(manifests);
    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    expect(volumes['njs-tracing-files'].configMap).toEqual({ name: 'njs-tracing-files', optional: true });
    expect(volumes['njs-tracing-sidecar'].configMap).toEqual({ name: 'njs-tracing-sidecar', optional: true });
    expect(volumes['njs-tracing-spans'].emptyDir).toEqual({});
    const controller = pod.containers[0];
    expect(controller.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'njs-tracing-files', mountPath: '/etc/nginx/njs-tracing', readOnly: true },
      { name: 'njs-tracing-spans', mountPath: '/var/log/njs-tracing' },
    ]));
  });

  it('ships the single-file sidecar in a ConfigMap, byte for byte, under the 1 MiB ConfigMap limit', () => {
    const manifests = rendered.get('enabled-values.yaml')!;
    const sidecarFile = find(manifests, 'ConfigMap', 'njs-tracing-sidecar').data['njs-tracing-sidecar.cjs'];
    const built = readFileSync(join(CHART, 'files', 'sidecar', 'njs-tracing-sidecar.cjs'), 'utf8');
    expect(sidecarFile).toBe(built.replace(/\n$/, ''));
    expect(Buffer.byteLength(sidecarFile)).toBeLessThan(1024 * 1024);
  });

  it('runs the sidecar as a native sidecar on the stock node image, locked down, with the Downward API fields', () => {
    const sidecar = sidecarOf(rendered.get('enabled-values.yaml')!);
    expect(sidecar).toMatchObject({
      name: 'njs-tracing-sidecar',
      image: 'node:22-alpine',
      restartPolicy: 'Always',
      command: ['node', '/opt/njs-tracing/njs-tracing-sidecar.cjs'],
      ports: [{ name: 'tracing-metrics', containerPort: 9464, protocol: 'TCP' }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'tracing-metrics' } },
      securityContext: {
        runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      },
    });
    // Its health must never hold back the controller's start or take the pod out of Services.
    expect(sidecar.startupProbe).toBeUndefined();
    expect(sidecar.readinessProbe).toBeUndefined();
    expect(envOf(sidecar)).toMatchObject({
      NJS_TRACING_FILE: CHART_SPAN_FILE,
      NJS_TRACING_METRICS_ADDRESS: '0.0.0.0:9464',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_SERVICE_NAME: 'ingress-nginx',
    });
    const fields = Object.fromEntries(sidecar.env.filter((e: any) => e.valueFrom?.fieldRef).map((e: any) => [e.name, e.valueFrom.fieldRef.fieldPath]));
    expect(fields).toEqual({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', NODE_NAME: 'spec.nodeName' });
    expect(sidecar.volumeMounts).toEqual([
      { name: 'njs-tracing-sidecar', mountPath: '/opt/njs-tracing', readOnly: true },
      { name: 'njs-tracing-spans', mountPath: '/var/log/njs-tracing' },
    ]);
  });

  it('runs an image built from the Dockerfile with its own entry point when asked', async () => {
    const manifests = await template(chart, ['--set', 'global.tracing.enabled=true', '--set', 'global.tracing.sidecar.runMountedFile=false',
      '--set', 'global.tracing.sidecar.image.repository=registry.example/njs-tracing-sidecar', '--set', 'global.tracing.sidecar.image.tag=0.1.0']);
    const sidecar = sidecarOf(manifests);
    expect(sidecar.image).toBe('registry.example/njs-tracing-sidecar:0.1.0');
    expect(sidecar.command).toBeUndefined();
    expect(sidecar.volumeMounts).toEqual([{ name: 'njs-tracing-spans', mountPath: '/var/log/njs-tracing' }]);
  });

  it('grants no Kubernetes API access of its own', () => {
    for (const [scenario, manifests] of rendered) {
      const rbac = manifests.filter((m) => /^(Cluster)?Role(Binding)?$|^ServiceAccount$/.test(m.kind));
      // Everything RBAC is the ingress-nginx chart's own (its names, its labels).
      expect(rbac.filter((m) => m.metadata.labels?.['app.kubernetes.io/name'] !== 'ingress-nginx'), scenario).toEqual([]);
    }
  });

  it('points the Jaeger exporter at the collector, with its password from the Secret', () => {
    const sidecar = sidecarOf(rendered.get('jaeger-values.yaml')!);
    expect(envOf(sidecar)).toMatchObject({
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_EXPORTER_JAEGER_ENDPOINT: 'http://jaeger-collector.tracing.svc:14268/api/traces',
      OTEL_EXPORTER_JAEGER_USER: 'ingress',
    });
    expect(envOf(sidecar).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(sidecar.env).toContainEqual({
      name: 'OTEL_EXPORTER_JAEGER_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'jaeger-collector-auth', key: 'password' } },
    });
  });

  it('uses the Jaeger agent when no collector endpoint is given', async () => {
    const manifests = await template(chart, ['--set', 'global.tracing.enabled=true', '--set', 'global.tracing.exporter.type=jaeger', '--set', 'global.tracing.exporter.endpoint=', '--set', 'global.tracing.exporter.jaegerAgent.host=jaeger-agent.tracing']);
    expect(envOf(sidecarOf(manifests))).toMatchObject({ OTEL_EXPORTER_JAEGER_AGENT_HOST: 'jaeger-agent.tracing', OTEL_EXPORTER_JAEGER_AGENT_PORT: '6832' });
  });

  it('exposes the sidecars to Prometheus: an annotated metrics Service, a ServiceMonitor, a NetworkPolicy', () => {
    const manifests = rendered.get('metrics-values.yaml')!;
    const service = find(manifests, 'Service', /-metrics$/);
    expect(service.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' });
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress', 'app.kubernetes.io/component': 'controller' });
    // The selector matches the controller pods this release renders.
    expect(find(manifests, 'Deployment', /controller$/).spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const monitor = find(manifests, 'ServiceMonitor');
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
    expect(monitor.spec.selector.matchLabels).toEqual(Object.fromEntries(Object.entries(service.metadata.labels!).filter(([k]) => k === 'app.kubernetes.io/name' || k === 'app.kubernetes.io/instance' || k === 'app.kubernetes.io/component')));
    expect(monitor.spec.endpoints).toEqual([{ port: 'tracing-metrics', path: '/metrics', interval: '30s' }]);
    const policy = find(manifests, 'NetworkPolicy', /-metrics$/);
    expect(policy.spec.podSelector.matchLabels).toEqual(service.spec.selector);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 9464, protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] }]);
  });

  it('with the dependency disabled renders only its own objects, for another ingress-nginx release', () => {
    const manifests = rendered.get('standalone-values.yaml')!;
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/njs-tracing-files', 'ConfigMap/njs-tracing-sidecar', 'ConfigMap/njs-tracing-sidecar-env', 'Service/ingress-njs-tracing-metrics',
    ]);
    const files = find(manifests, 'ConfigMap', 'njs-tracing-files').data;
    expect(files['http-snippet.conf']).toContain('include /etc/nginx/njs-tracing/tracing-http.conf;');
    expect(files['location-snippet.conf']).toBe('include /etc/nginx/njs-tracing/tracing-location.conf;');
    expect(find(manifests, 'Service', /-metrics$/).spec.selector['app.kubernetes.io/instance']).toBe('ingress-nginx');
  });

  it('ships a values file that wires an existing ingress-nginx 4.x release to those objects', async () => {
    const ours = rendered.get('standalone-values.yaml')!;
    const result = await helm(['template', 'ingress-nginx', INGRESS_NGINX_TGZ, '--namespace', 'ingress', '--kube-version', '1.33.0', '-f', join(CHART, 'ingress-nginx-values.yaml')]);
    expect(result.stderr).toBe('');
    const theirs = parseManifests(result.stdout);
    expect(await validateAll(theirs)).toEqual([]);
    const config = controllerConfig(theirs);
    const files = find(ours, 'ConfigMap', 'njs-tracing-files').data;
    // Each snippet key includes the file of the same name that our release renders.
    for (const key of ['main-snippet', 'http-snippet', 'location-snippet']) {
      expect(config[key]).toBe(`include /etc/nginx/njs-tracing/${key}*.conf;`);
      expect(files[`${key}.conf`]).toBeTruthy();
    }
    const pod = controllerPod(theirs);
    const names = new Set(ours.filter((m) => m.kind === 'ConfigMap').map((m) => m.metadata.name));
    for (const volume of pod.volumes.filter((v: any) => v.configMap)) {
      if (volume.name.startsWith('njs-tracing')) expect(names.has(volume.configMap.name), volume.configMap.name).toBe(true);
    }
    const sidecar = sidecarOf(theirs);
    expect(sidecar.restartPolicy).toBe('Always');
    expect(sidecar.envFrom).toEqual([{ configMapRef: { name: 'njs-tracing-sidecar-env', optional: true } }]);
    // The environment it gets from our ConfigMap is the one the umbrella chart writes into the pod.
    const env = find(ours, 'ConfigMap', 'njs-tracing-sidecar-env').data;
    expect(env).toEqual(envOf(sidecarOf(rendered.get('enabled-values.yaml')!)));
    expect(sidecar.securityContext).toEqual(sidecarOf(rendered.get('enabled-values.yaml')!).securityContext);
  });

  it('prints how to see spans arriving', async () => {
    const result = await helm(['install', 'ingress', chart, '--dry-run=client', '--namespace', 'ingress', '-f', join(chart, 'ci', 'enabled-values.yaml')]);
    expect(result.code, result.stderr).toBe(0);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    expect(notes).toContain('-c njs-tracing-sidecar');
    expect(notes).toContain('njs_tracing_(records_received|spans_exported|export_errors)_total');
  });
});
