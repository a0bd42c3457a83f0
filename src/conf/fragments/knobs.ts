/**
 * The knob-validity checks of records: $tracing__error is "config" when
 * a knob has a value njs would also reject (src/njs/knobs.ts: the same grammar
 * parts). Exact keys for the usual values come first, so a record of a
 * default or common configuration costs hash lookups, not regexes.
 */
import { INJECT_LIST_SOURCE, ON_OFF, RATIO_SOURCE, SINKS } from '../../contract/knobs.js';
import { NATIVE_MODES } from '../../contract/modes.js';
import { COMMON_RATIOS } from '../../contract/sampling.js';
import { SAMPLERS } from '../../njs/knobs.js';
import { fragment, regexKey, renderMap, type MapEntry } from './render.js';

// Each key fills a 64-byte hash bucket alone (ingress-nginx's map_hash_bucket_size): few keys.
/** The usual "$tracing__headers:$tracing_inject" pairs, given exact keys (also by src/conf/fragments/record-context.ts). */
export const USUAL_INJECTS = ['w3c:w3c', 'all:w3c', 'all:same', 'all:w3c,b3'];
/** $tracing__error's key: the mode and every knob (src/conf/fragments/record-context.ts keys the record's context on it too). */
export const KNOB_CHECK_KEY =
  '$tracing__mode|$tracing_enabled$tracing_trust_incoming$tracing_sink$tracing_record_query$tracing_traceresponse:$tracing__headers:$tracing_inject:$tracing__sampler_valid';
// Ratios whose validity a key states; any other valid ratio goes through the ratio map.
const RATIOS = ['1', '0', ...COMMON_RATIOS];

export function renderKnobChecks(): string {
  const kinds: MapEntry[] = SAMPLERS.map((s): MapEntry => [s, s.startsWith('parentbased_') ? 'parent' : 'root']);
  const samplerValid: MapEntry[] = [];
  for (const sampler of SAMPLERS) for (const ratio of RATIOS) samplerValid.push([`${sampler}|${ratio}`, '1']);
  const knobs: MapEntry[] = [];
  for (const mode of NATIVE_MODES)
    for (const trust of ['on', 'off'])
      for (const sink of ['file', 'udp'])
        for (const inject of USUAL_INJECTS) knobs.push([`${mode}|on${trust}${sink}offoff:${inject}:1`, '']);
  const onOff = `(${ON_OFF})`;
  knobs.push([regexKey('^js\\|'), '$tracing__js_error']);
  knobs.push([regexKey('^off\\|'), '']);
  knobs.push([regexKey(`^(${NATIVE_MODES.join('|')})\\|${onOff}${onOff}(${SINKS})${onOff}${onOff}:(w3c:w3c|all:w3c|all:(${INJECT_LIST_SOURCE})):1$`, true), '']);
  knobs.push(['default', 'config']);
  return fragment(
    'src/conf/fragments/knobs.ts',
    'the knob grammar of src/contract/knobs.ts (src/njs/knobs.ts checks the same)',
    'Knob values are case-insensitive (nginx matches exact map keys so). An invalid value acts as\n' +
      'its default on both paths and the record says err=config. Checked only when a record is written.',
    [
      renderMap('$tracing_sampler', '$tracing__sampler_kind', [...kinds, ['default', 'invalid']]),
      renderMap('$tracing_sample_ratio', '$tracing__valid_ratio', [
        ['1', '1'], ['0', '1'], [regexKey(`^(${RATIO_SOURCE})$`), '1'], ['default', '0'],
      ]),
      renderMap('$tracing_sampler|$tracing_sample_ratio', '$tracing__sampler_valid',
        [...samplerValid, ['default', '$tracing__sampler_valid_general']],
        'The sampler and its ratio: one lookup for the usual pairs.'),
      renderMap('$tracing__sampler_kind:$tracing__valid_ratio', '$tracing__sampler_valid_general', [
        ['parent:1', '1'], ['root:1', '1'], ['default', '0'],
      ]),
      renderMap(KNOB_CHECK_KEY, '$tracing__error', knobs,
        'The record\'s err: njs reports its own; the native modes "config" when a knob is invalid. Formats\n' +
          'other than W3C can only be injected where tracing-location-formats.conf is included ($tracing__headers all).'),
    ].map((block) => block + '\n'),
  ).trimEnd();
}
