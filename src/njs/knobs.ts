/**
 * The per-request knobs, read from the nginx variables tracing-http.conf
 * declares with js_var (defaults live there, once). A bad value falls back
 * to the default and is reported as a "config" error in the span record.
 */
import type { Format } from './propagation/types.js';

export type KnobName =
  | 'tracing_enabled'
  | 'tracing_extract'
  | 'tracing_inject'
  | 'tracing_trust_incoming'
  | 'tracing_sampler'
  | 'tracing_sample_ratio'
  | 'tracing_sink'
  | 'tracing_record_query'
  | 'tracing_traceresponse'
  | 'tracing__headers';

export type VariableReader = (name: KnobName | 'request_id') => string;

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface Knobs {
  extract: Format[];
  trustIncoming: boolean;
  sampler: SamplerName;
  ratio: number;
  /** Names of knobs whose value was invalid and replaced by the default. */
  invalid: string[];
}

const FORMATS: Format[] = ['w3c', 'b3', 'b3multi', 'jaeger'];
export const SAMPLERS: SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
// The knob grammar: its parts live in src/contract/knobs.ts, which also
// composes them into the native validity maps, so both paths check the same
// rules. These are literals (njs re-runs a module's top level per request);
// test/unit/knobs.test.ts checks each equals its composition.
export const ON_OFF_RE = /^(on|off)$/;
export const SINK_RE = /^(file|udp|off)$/;
export const INJECT_LIST_RE = /^( *same *| *(w3c|b3|b3multi|jaeger) *(, *(w3c|b3|b3multi|jaeger) *)*)$/;
export const RATIO_RE = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/;

/**
 * Knobs that nginx applies natively (tracing-http.conf); njs only checks them
 * so an invalid value is reported, with the same rules as $tracing__error.
 */
const CHECKED_ONLY: Array<[KnobName, RegExp]> = [
  ['tracing_enabled', ON_OFF_RE],
  ['tracing_sink', SINK_RE],
  ['tracing_record_query', ON_OFF_RE],
  ['tracing_traceresponse', ON_OFF_RE],
];

/** Formats other than W3C need the header lines of tracing-location-formats.conf. */
function injectValid(read: VariableReader): boolean {
  const inject = read('tracing_inject');
  return inject === 'w3c' || (read('tracing__headers') === 'all' && INJECT_LIST_RE.test(inject));
}

function formatList(value: string): Format[] | null {
  const names = value.split(',');
  const formats: Format[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i].trim() as Format;
    if (FORMATS.indexOf(name) < 0) return null;
    if (formats.indexOf(name) < 0) formats.push(name);
  }
  return formats;
}

/** Knob values are case-insensitive, as nginx's exact map keys are. */
export function readKnobs(readRaw: VariableReader): Knobs {
  const read: VariableReader = (name) => readRaw(name).toLowerCase();
  const invalid: string[] = [];

  let extract = formatList(read('tracing_extract'));
  if (extract === null) {
    invalid.push('tracing_extract');
    extract = ['w3c'];
  }

  const trust = read('tracing_trust_incoming');
  if (trust !== 'on' && trust !== 'off') invalid.push('tracing_trust_incoming');

  let sampler = read('tracing_sampler') as SamplerName;
  if (SAMPLERS.indexOf(sampler) < 0) {
    invalid.push('tracing_sampler');
    sampler = 'parentbased_traceidratio';
  }

  const ratioText = read('tracing_sample_ratio');
  let ratio = 1;
  if (RATIO_RE.test(ratioText)) ratio = Number(ratioText);
  else invalid.push('tracing_sample_ratio');

  if (!injectValid(read)) invalid.push('tracing_inject');
  for (let i = 0; i < CHECKED_ONLY.length; i++) {
    if (!CHECKED_ONLY[i][1].test(read(CHECKED_ONLY[i][0]))) invalid.push(CHECKED_ONLY[i][0]);
  }

  return { extract, trustIncoming: trust !== 'off', sampler, ratio, invalid };
}
