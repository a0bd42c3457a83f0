/**
 * What the e2e tests take from the rendered manifests to run them here: the
 * files ConfigMap staged for nginx, the controller snippets with the pod's paths
 * swapped for the test's, and the sidecar's single file and environment.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { describeEachRuntime } from '../../support/runtimes.js';
import { controllerConfig, controllerPod, find, helmMissing, type Manifest } from './chart.js';

/** Paths inside the controller pod, as the chart renders them. */
export const CHART_FILES_DIR = '/etc/nginx/njs-tracing';
export const CHART_POLICY_DIR = '/etc/nginx/njs-tracing-policy';
export const CHART_SPAN_FILE = '/var/log/njs-tracing/spans.log';
export const CHART_JS_MODULE = '/etc/nginx/modules/ngx_http_js_module.so';

const missing = helmMissing();
/** describeEachRuntime, or one skipped test saying why when helm or the fixture is missing. */
export const describeRendered: typeof describeEachRuntime = missing
  ? (title) => describe.skip(`${title} (skipped: ${missing})`, () => it('needs helm and the ingress-nginx fixture', () => undefined))
  : describeEachRuntime;

/** Writes the files ConfigMap into `dir` (span file → the harness's logs/spans.log) for startNginx's `files`. */
export function stageChartFiles(manifests: Manifest[], dir: string): Array<{ from: string; to: string }> {
  const files = find(manifests, 'ConfigMap', 'njs-tracing-files').data as Record<string, string>;
  return Object.entries(files).map(([name, text]) => {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`unexpected file name in the files ConfigMap: ${name}`);
    writeFileSync(join(dir, name), text.replaceAll(CHART_SPAN_FILE, 'logs/spans.log'));
    return { from: join(dir, name), to: `conf/njs-tracing/${name}` };
  });
}

/** The controller ConfigMap's snippets with the pod's paths replaced (policy dir first: the files dir is its prefix). */
export function renderedSnippets(manifests: Manifest[], jsModule: string, policyDir = CHART_POLICY_DIR) {
  const config = controllerConfig(manifests);
  const at = (snippet: string) => snippet.replaceAll(CHART_POLICY_DIR, policyDir).replaceAll(CHART_FILES_DIR, '{{conf}}/njs-tracing');
  return {
    config,
    main: config['main-snippet'].replaceAll(CHART_JS_MODULE, jsModule),
    http: at(config['http-snippet']),
    location: at(config['location-snippet']),
  };
}

/** Writes the sidecar's single file into `dir`; returns its path. */
export function stageSidecarFile(manifests: Manifest[], dir: string): string {
  const path = join(dir, 'njs-tracing-sidecar.cjs');
  writeFileSync(path, find(manifests, 'ConfigMap', 'njs-tracing-sidecar').data['njs-tracing-sidecar.cjs'] as string);
  return path;
}

/** The sidecar container's environment; Downward API entries take their values from `downward`. */
export function sidecarEnv(manifests: Manifest[], downward: Record<string, string> = {}): Record<string, string> {
  const container = controllerPod(manifests).initContainers.find((c: any) => c.name === 'njs-tracing-sidecar');
  const env: Record<string, string> = {};
  for (const entry of container.env) {
    if ('value' in entry) env[entry.name] = entry.value;
    else if (entry.valueFrom?.fieldRef && entry.name in downward) env[entry.name] = downward[entry.name];
  }
  return env;
}
