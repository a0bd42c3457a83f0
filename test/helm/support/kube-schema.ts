/**
 * Validates rendered manifests against the Kubernetes API's OpenAPI schemas
 * (kubernetes-models: types, required fields, enums of the built-in kinds).
 * Those schemas allow unknown fields, so a test that needs strictness checks
 * the fields it renders itself. CRDs the package does not know (the
 * prometheus-operator ServiceMonitor) are checked by the caller.
 */
import { createRequire } from 'node:module';
import type { Manifest } from './chart.js';

const require = createRequire(import.meta.url);

type ModelClass = new (data: unknown) => { validate(): void };

const modules = new Map<string, Promise<Record<string, unknown>>>();

function modelModule(apiVersion: string): Promise<Record<string, unknown>> {
  // "v1" is the core group; "apps/v1" and "networking.k8s.io/v1" name theirs.
  let loading = modules.get(apiVersion);
  if (!loading) {
    // Resolved at run time (createRequire), not by the test bundler: the path is data.
    loading = Promise.resolve(require(`kubernetes-models/${apiVersion}`) as Record<string, unknown>);
    modules.set(apiVersion, loading);
  }
  return loading;
}

/** Kinds this validator knows nothing about; validateManifest() reports them instead of passing them. */
export const NOT_IN_KUBERNETES_MODELS = new Set(['monitoring.coreos.com/v1 ServiceMonitor']);

/** Errors of one manifest ([] when valid). */
export async function validateManifest(manifest: Manifest): Promise<string[]> {
  const id = `${manifest.apiVersion} ${manifest.kind}`;
  if (NOT_IN_KUBERNETES_MODELS.has(id)) return [`${id} ${manifest.metadata.name}: not validated here`];
  let module: Record<string, unknown>;
  try {
    module = await modelModule(manifest.apiVersion);
  } catch {
    return [`${id}: unknown apiVersion`];
  }
  const Model = module[manifest.kind] as ModelClass | undefined;
  if (!Model) return [`${id}: unknown kind`];
  try {
    new Model(manifest).validate();
    return [];
  } catch (error) {
    return [`${id} ${manifest.metadata.name}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/** Errors of every manifest the validator knows. */
export async function validateAll(manifests: Manifest[]): Promise<string[]> {
  const errors: string[] = [];
  for (const manifest of manifests) {
    if (NOT_IN_KUBERNETES_MODELS.has(`${manifest.apiVersion} ${manifest.kind}`)) continue;
    errors.push(...(await validateManifest(manifest)));
  }
  return errors;
}
