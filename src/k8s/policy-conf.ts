/**
 * The static half of the per-Ingress policy, for the http {} block after
 * tracing-http.conf: one map from "$namespace/$ingress_name" to a policy id,
 * and one map per knob from the id to its value (default: the
 * controller-wide setting). The knob maps define the knob variables
 * themselves: nginx lets a later map (like a later js_var) take over a
 * variable that tracing-http.conf declared with js_var, and `set` in a
 * location still overrides it. (A `js_var $tracing_X $tracing__policy_X;`
 * per knob would do the same through one more complex value per knob:
 * 6,600 instead of 3,400 instructions per request, bench/README.md.) The entries
 * come from files the sidecar writes (render-maps.ts); `include` with a glob
 * that matches nothing is allowed, so nginx starts before the first policy.
 * Maps are evaluated only when a knob is read, natively: no njs per request.
 */
import { POLICY_KNOBS, type PolicyKnobId } from './policy-knobs.js';

/** Where the build's nginx-conf/tracing-policy.conf expects the sidecar's files. */
export const DEFAULT_POLICY_DIR = '/var/lib/njs-tracing/policy';
/** The generation nginx reads: a symlink the sidecar replaces atomically. */
export const CURRENT = 'current';

/** The controller-wide values; the README's defaults unless the chart says otherwise. */
export const KNOB_DEFAULTS: Record<PolicyKnobId, string> = {
  enabled: 'on',
  sample_ratio: '1',
  sampler: 'parentbased_traceidratio',
  extract: 'w3c',
  inject: 'w3c',
  trust_incoming: 'on',
  record_query: 'off',
  route: '$location_path',
};

export function renderPolicyConf(dir: string = DEFAULT_POLICY_DIR, defaults: Partial<Record<PolicyKnobId, string>> = {}): string {
  const current = `${dir.replace(/\/+$/, '')}/${CURRENT}`;
  const value = (knob: PolicyKnobId) => {
    const text = defaults[knob] ?? KNOB_DEFAULTS[knob];
    return /^[A-Za-z0-9_.,$/]+$/.test(text) ? text : `"${text}"`;
  };
  return [
    'map "$namespace/$ingress_name" $tracing__policy {',
    '    default "";',
    `    include ${current}/ingresses*.map;`,
    '}',
    ...POLICY_KNOBS.flatMap((knob) => [
      `map $tracing__policy $tracing_${knob.id} {`,
      `    default ${value(knob.id)};`,
      `    include ${current}/${knob.id}*.map;`,
      '}',
    ]),
  ].join('\n');
}
