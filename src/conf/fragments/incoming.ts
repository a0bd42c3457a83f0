/**
 * The incoming headers, natively: one map per format that runs the format's
 * regex (src/contract/grammar.ts) and gives its state (src/contract/extract.ts:
 * n absent, v valid, i invalid traceparent, x njs must look), and the maps
 * that read a valid header's fields from the regex's named captures.
 */
import * as g from '../../contract/grammar.js';
import { fragment, regexKey, renderMap, type MapEntry } from './render.js';

const ZEROS = '0'.repeat(32);

/** Left-pad a variable-length hex capture to `width` digits: one regex per length, common ones first. */
function padMap(source: string, variable: string, width: number, common: number[]): string {
  const lengths = [...common, ...Array.from({ length: width }, (_, i) => width - i).filter((n) => !common.includes(n))];
  const entries: MapEntry[] = lengths.map((n) => [regexKey(`^[0-9a-f]{${n}}$`), ZEROS.slice(0, width - n) + source]);
  return renderMap(source, variable, entries);
}

/** A header's regexes, the usual shape first (grammar.ts): each gives `state`. */
const each = (sources: string[], state: string): MapEntry[] => sources.map((source): MapEntry => [regexKey(source), state]);

/** Jaeger flags "1".."ff" without the debug bit: sampled when the sampled bit (last digit odd) is set. */
function jaegerFlags(): MapEntry[] {
  const hex = '0123456789abcdef';
  const last = '014589cd';
  const entries: MapEntry[] = [];
  for (const prefix of ['', ...hex]) {
    for (const d of last) entries.push([prefix + d, '159d'.includes(d) ? 'sampled' : 'unsampled']);
  }
  entries.push(['default', 'none']);
  return entries;
}

/** The W3C flags of a trusted Jaeger parent (mode jaeger): 00 when it said unsampled, else 01; keyed on the capture itself. */
function jaegerW3cFlags(): MapEntry[] {
  const entries: MapEntry[] = jaegerFlags().filter(([, v]) => v === 'unsampled').map(([k]): MapEntry => [k, '00']);
  entries.push(['default', '01']);
  return entries;
}

export function renderIncoming(): string {
  return fragment(
    'src/conf/fragments/incoming.ts',
    'src/contract/grammar.ts (the njs parsers\' grammar parts)',
    'The state of each incoming format\'s header and the fields of a valid one.\n' +
      'Exact keys are hash lookups; nginx tries the regexes only when none matches.',
    [
      renderMap('$http_traceparent', '$tracing__w3c_state', [
        ['', 'none'],
        [regexKey(g.TRACEPARENT_00_USUAL), 'valid'],
        [regexKey(g.TRACEPARENT_00), 'valid'],
        [regexKey(g.TRACEPARENT_OTHER_VERSION), 'other'],
        ['default', 'invalid'],
      ], 'W3C traceparent: a version-00 value natively (flags 00-03 set $tracing__w3c_flags); another version is parsed by njs.'),
      renderMap('$tracing__w3c_state', '$tracing__st_w', [
        ['none', 'n'], ['invalid', 'i'], ['valid', '$tracing__st_tracestate'], ['default', 'x'],
      ], 'A valid traceparent is used natively only with an empty or already normal tracestate.'),
      renderMap('$http_tracestate', '$tracing__ts_fast', [
        ['', ''], [regexKey(g.TRACESTATE_NORMAL), '+v'], ['default', '+x'],
      ], 'tracestate as njs would forward it (<= 512 characters, no OWS, no empty members): +v,\n' +
        'passed on unchanged; another non-empty value: +x (njs). The one map keyed on the header.'),
      renderMap('$tracing__ts_fast', '$tracing__st_tracestate', [['', 'v'], ['+v', 'v'], ['default', 'x']]),
      renderMap('$http_b3', '$tracing__st_b', [['', 'n'], ...each(g.B3_SINGLE, 'v'), ['default', 'x']],
        'B3 single header: ids, sampling state 0/1 or none; debug and bare decisions go to njs.'),
      '# A 128-bit trace id is captured into $tracing__b3_trace (grammar.ts); a 64-bit one is padded here.',
      renderMap('$tracing__b3_t16', '$tracing__b3_trace', [['', ''], ['default', `${ZEROS.slice(16)}$tracing__b3_t16`]]),
      renderMap('$tracing__b3_f', '$tracing__b3_in_sampling', [['1', 'sampled'], ['0', 'unsampled'], ['default', 'none']]),
      renderMap(g.B3_MULTI_KEY, '$tracing__st_m', [
        ['||||', 'n'], ...each(g.B3_MULTI, 'v'), [regexKey(g.B3_MULTI_ABSENT), 'n'], ['default', 'x'],
      ], 'B3 multi (X-B3-*): X-B3-Flags "1" (debug) goes to njs, other X-B3-Flags values are ignored.'),
      renderMap('$tracing__m_t16', '$tracing__m_trace', [['', ''], ['default', `${ZEROS.slice(16)}$tracing__m_t16`]]),
      renderMap('$tracing__m_smp', '$tracing__m_sampling', [
        ['1', 'sampled'], ['true', 'sampled'], ['0', 'unsampled'], ['false', 'unsampled'], ['default', 'none'],
      ]),
      renderMap('$http_uber_trace_id', '$tracing__st_j', [['', 'n'], ...each(g.UBER_TRACE_ID, 'v'), ['default', 'x']],
        'Jaeger uber-trace-id: lowercase, ":" unencoded, no debug flag; full-width ids captured into\n' +
          '$tracing__j_trace and $tracing__j_span, shorter ones left-padded by length.'),
      '# $tracing__j_trace, $tracing__j_span (ids left-padded), $tracing__j_sampling and $tracing__j_flags: tables at the end.',
    ].map((block) => block + '\n'),
  ).trimEnd();
}

/** Jaeger's padding and flags tables (at the end of tracing-http.conf). */
export function renderIncomingTables(): string {
  return [
    '# GENERATED by src/conf/fragments/incoming.ts: Jaeger ids left-padded by their length, flags (sampling, and the W3C flags of mode jaeger).',
    padMap('$tracing__j_t', '$tracing__j_trace', 32, [32, 16]),
    padMap('$tracing__j_s', '$tracing__j_span', 16, [16]),
    renderMap('$tracing__j_f', '$tracing__j_sampling', jaegerFlags()),
    renderMap('$tracing__j_f', '$tracing__j_flags', jaegerW3cFlags()),
  ].join('\n');
}
