/**
 * Writes what the sidecar would for a cluster of N annotated Ingresses, for the
 * per-Ingress policy benchmarks: DIR/tracing-policy.conf (the static maps) and
 * DIR/policy/current/*.map (the entries), through the sidecar's own renderers.
 *   npx tsx bench/policy-files.ts DIR N [hit|miss] [VIEW]
 * VIEW: DIR as nginx sees it (inside a chroot), for the include paths.
 * Ingress i is "team-i/app-i" with a mix of policies; with `hit`, the Ingress
 * the benchmark requests ("shop/web") gets an entry for every knob, set to the
 * defaults, so every knob map finds it (the lookup's worst case) while the
 * request is traced exactly as without the feature.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnnotations } from '../src/k8s/annotations.js';
import { renderPolicyConf } from '../src/k8s/policy-conf.js';
import { PolicyState } from '../src/k8s/policy-state.js';
import { policyMapFiles } from '../src/k8s/render-maps.js';

const [dir, count = '200', hit = 'miss', view = dir] = process.argv.slice(2);
if (!dir) throw new TypeError('usage: policy-files.ts DIR N [hit]');
const P = 'njs-tracing.io/';
const MIX = [
  { [P + 'enabled']: 'false' },
  { [P + 'sample-ratio']: '0.01' },
  { [P + 'sample-ratio']: '0.25', [P + 'trust-incoming']: 'false' },
  { [P + 'sampler']: 'always_on', [P + 'record-query']: 'true' },
  { [P + 'route']: '/api/{id}' },
];
const state = new PolicyState();
for (let i = 0; i < Number(count); i++) state.apply(`team-${i}/app-${i}`, parseAnnotations(MIX[i % MIX.length], { headers: 'w3c' }));
if (hit === 'hit') {
  const defaults = {
    [P + 'enabled']: 'true', [P + 'sample-ratio']: '1', [P + 'sampler']: 'parentbased_traceidratio', [P + 'extract']: 'w3c',
    [P + 'inject']: 'w3c', [P + 'trust-incoming']: 'true', [P + 'record-query']: 'false', [P + 'route']: '/',
  };
  state.apply('shop/web', parseAnnotations(defaults, { headers: 'w3c' }));
}
mkdirSync(join(dir, 'policy', 'current'), { recursive: true });
for (const [name, text] of Object.entries(policyMapFiles(state.snapshot()))) writeFileSync(join(dir, 'policy', 'current', name), text);
writeFileSync(join(dir, 'tracing-policy.conf'), renderPolicyConf(join(view, 'policy')));
