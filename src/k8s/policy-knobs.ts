/**
 * The knobs an Ingress annotation may set, one row each: the annotation, the
 * nginx knob it overrides for that Ingress, and how its value is checked and
 * written. Values are checked with the same rules the njs code applies
 * (readKnobs in src/njs/knobs.ts), then reduced to a canonical spelling from a
 * small alphabet, so nothing an annotation holds can become nginx syntax.
 */
import { readKnobs, type KnobName } from '../njs/knobs.js';

export const ANNOTATION_PREFIX = 'njs-tracing.io/';

/** A policy: knob id (the variable without `tracing_`) -> canonical value. */
export type Policy = Partial<Record<PolicyKnobId, string>>;

export type PolicyKnobId =
  | 'enabled'
  | 'sample_ratio'
  | 'sampler'
  | 'extract'
  | 'inject'
  | 'trust_incoming'
  | 'record_query'
  | 'route';

export interface PolicyKnob {
  id: PolicyKnobId;
  /** Annotation name after the prefix. */
  annotation: string;
  /** Canonical value, or a reason the value is refused. */
  parse(value: string, context: KnobContext): { value: string } | { error: string };
}

export interface KnobContext {
  /** `$tracing__headers` in the controller's locations: `all` when tracing-location-formats.conf is included. */
  headers: 'w3c' | 'all';
}

/** Longest annotation value looked at; a longer one is refused unread. */
export const MAX_VALUE_LENGTH = 256;

/** A baseline every knob accepts, so readKnobs judges only the knob under test. */
const VALID_BASELINE: Record<Exclude<KnobName, 'tracing__headers'>, string> = {
  tracing_enabled: 'on',
  tracing_extract: 'w3c',
  tracing_inject: 'w3c',
  tracing_trust_incoming: 'on',
  tracing_sampler: 'parentbased_traceidratio',
  tracing_sample_ratio: '1',
  tracing_sink: 'file',
  tracing_record_query: 'off',
  tracing_traceresponse: 'off',
};

/** True when the njs code takes `value` for `knob` (and so do the native maps, which follow the same rules). */
function njsAccepts(knob: KnobName, value: string, context: KnobContext): boolean {
  const read = (name: KnobName | 'request_id'): string =>
    name === knob ? value : name === 'tracing__headers' ? context.headers : name === 'request_id' ? '' : VALID_BASELINE[name];
  return !readKnobs(read).invalid.includes(knob);
}

const ON_OFF: Record<string, string> = { on: 'on', off: 'off', true: 'on', false: 'off' };

function onOff(value: string): { value: string } | { error: string } {
  const canonical = ON_OFF[value.trim().toLowerCase()];
  return canonical ? { value: canonical } : { error: 'expected true, false, on or off' };
}

function checked(knob: KnobName, expected: string, canonical: (lower: string) => string) {
  return (value: string, context: KnobContext): { value: string } | { error: string } => {
    const lower = value.trim().toLowerCase();
    if (!njsAccepts(knob, lower, context)) return { error: `expected ${expected}` };
    return { value: canonical(lower) };
  };
}

/** "w3c, b3" -> "w3c,b3": the list njs accepts, without the spaces. */
const list = (lower: string) => lower.split(',').map((item) => item.trim()).join(',');

/** 1.0 -> 1 and 0.00 -> 0, so the native exact-key path recognises them; other ratios as written. */
const ratio = (lower: string) => (/^1(\.0+)?$/.test(lower) ? '1' : /^(0(\.0+)?|\.0+)$/.test(lower) ? '0' : lower);

/**
 * http.route is free text to njs; here it must look like a route template
 * (`/cart/{id}`) from a closed alphabet: no quotes, `$`, `\`, `;`, `#` or spaces.
 */
const ROUTE = /^\/[A-Za-z0-9._~!*()@:+,=/{}%-]{0,199}$/;

export const POLICY_KNOBS: readonly PolicyKnob[] = [
  { id: 'enabled', annotation: 'enabled', parse: onOff },
  {
    id: 'sample_ratio',
    annotation: 'sample-ratio',
    parse: checked('tracing_sample_ratio', 'a ratio from 0 to 1 such as 0.25', ratio),
  },
  {
    id: 'sampler',
    annotation: 'sampler',
    parse: checked('tracing_sampler', 'an OpenTelemetry sampler name such as parentbased_traceidratio', (v) => v),
  },
  { id: 'extract', annotation: 'extract', parse: checked('tracing_extract', 'a list of w3c, b3, b3multi, jaeger', list) },
  {
    id: 'inject',
    annotation: 'inject',
    parse: (value, context) =>
      checked(
        'tracing_inject',
        context.headers === 'all'
          ? 'a list of w3c, b3, b3multi, jaeger, or same'
          : 'w3c (the controller does not include tracing-location-formats.conf, so no other format can be sent)',
        list,
      )(value, context),
  },
  { id: 'trust_incoming', annotation: 'trust-incoming', parse: onOff },
  { id: 'record_query', annotation: 'record-query', parse: onOff },
  {
    id: 'route',
    annotation: 'route',
    parse: (value) =>
      ROUTE.test(value.trim())
        ? { value: value.trim() }
        : { error: 'expected a route template such as /cart/{id}: starts with /, at most 200 characters, no quotes, $, \\, ;, # or spaces' },
  },
];

/**
 * The alphabet of every value that reaches a map file. The renderer checks it
 * again, so a bug in a parser above cannot write nginx syntax.
 */
export const SAFE_VALUE = /^[A-Za-z0-9._~!*()@:+,=/{}%-]{1,200}$/;
