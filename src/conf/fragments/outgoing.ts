/**
 * The headers sent upstream: W3C in one lookup on the mode and the inject
 * list (src/contract/modes.ts, src/contract/extract.ts), the other formats
 * keyed on one code ($tracing__out_code: per format, inject, pass through or
 * drop), so each header line costs one lookup on a cached variable.
 */
import { FORMAT_LETTER, extractListsInOrder } from '../../contract/extract.js';
import { NATIVE_MODES } from '../../contract/modes.js';
import { B3, B3_MULTI_HEADERS } from '../../njs/propagation/b3.js';
import { UBER_TRACE_ID } from '../../njs/propagation/jaeger.js';
import type { Format } from '../../njs/propagation/types.js';
import { renderMap, type MapEntry } from './render.js';

const TRACEPARENT = '00-$tracing_trace_id-$tracing__rid$tracing__rid_high-$tracing__flags';
/** What each mode sends as tracestate: the incoming one unchanged, none, or the computed one. */
function tracestateOf(mode: string): string {
  if (mode === 'continue' || mode === 'continueratio') return '$http_tracestate';
  if (mode === 'native' || mode === 'js') return '$tracing__tracestate';
  return '';
}

/** Inject lists in the order of FORMATS that hold w3c: the W3C headers are injected whatever $tracing__headers. */
function w3cLists(): string[] {
  return extractListsInOrder()
    .filter((list) => list[0] === 'w3c')
    .map((list) => list.join(','));
}

function w3cMaps(): string[] {
  const parent: MapEntry[] = [];
  const state: MapEntry[] = [];
  for (const mode of [...NATIVE_MODES, 'js']) {
    for (const list of w3cLists()) {
      parent.push([mode + list, TRACEPARENT]);
      state.push([mode + list, tracestateOf(mode)]);
    }
  }
  parent.push(['default', '$tracing__out_traceparent_general']);
  state.push(['default', '$tracing__out_tracestate_general']);
  return [
    renderMap('$tracing__mode$tracing_inject', '$tracing__out_traceparent', parent,
      'The usual inject lists (with w3c) decided in the same lookup as the mode.'),
    renderMap('$tracing__mode$tracing_inject', '$tracing__out_tracestate', state),
  ];
}

const OTHER: Format[] = ['b3', 'b3multi', 'jaeger'];
/** Per format of OTHER: i inject, d inject with the debug flag, p pass the incoming header(s) through, - send none. */
type Action = 'i' | 'd' | 'p' | '-';
const ACTIONS: Action[] = ['i', 'd', 'p', '-'];

/** Every code: one action per format of OTHER (i and d never mix: one debug flag per request). */
function codes(): string[] {
  let out = [''];
  for (let i = 0; i < OTHER.length; i++) out = out.flatMap((c) => ACTIONS.map((a) => c + a));
  return out.filter((c) => !(c.includes('i') && c.includes('d')));
}

/** The incoming headers of OTHER, as nginx variables. */
const OTHER_HEADERS = [B3, UBER_TRACE_ID, ...B3_MULTI_HEADERS].map((name) => `$http_${name.toLowerCase().replace(/-/g, '_')}`);

/**
 * "1" when any b3, X-B3-* or uber-trace-id header came in, else empty: a format
 * passed through with none of its headers present sends nothing, so its
 * header lines are literal "" instead of copying an absent header each.
 */
function presentMap(): string {
  return renderMap(OTHER_HEADERS.join(''), '$tracing__in_present', [['', ''], ['default', '1']],
    'Any incoming b3, X-B3-* or uber-trace-id header (their values, concatenated).');
}

/** The code for one inject set (letters), trust of incoming headers, debug flag and presence of incoming headers. */
function code(set: string, passthrough: boolean, debug: boolean, present: boolean): string {
  const action = (f: Format): Action => (set.includes(FORMAT_LETTER[f]) ? (debug ? 'd' : 'i') : passthrough && present ? 'p' : '-');
  return OTHER.map(action).join('');
}

/**
 * The usual case in one lookup on the knobs themselves (in scope, enabled on,
 * trust on or off, an in-order inject list, tracing-location-formats.conf
 * included); the rest through $tracing__on, the inject set and $tracing__passthrough.
 */
function codeMap(): string {
  const fast: MapEntry[] = [];
  const general: MapEntry[] = [];
  for (const list of extractListsInOrder()) {
    const set = list.map((f) => FORMAT_LETTER[f]).join('');
    for (const debug of [false, true]) {
      for (const present of [false, true]) {
        const tail = `${debug ? '1' : '0'}${present ? '1' : ''}`;
        for (const trust of ['on', 'off']) fast.push([`1on|${trust}${tail}:all:${list.join(',')}`, code(set, trust === 'on', debug, present)]);
        for (const passthrough of [true, false]) general.push([`1${passthrough ? '1' : '0'}${tail}${set}`, code(set, passthrough, debug, present)]);
      }
    }
    // Not traced: every format passes through (the mode is off: no debug).
    general.push([`010${set}`, '---'], [`0101${set}`, 'ppp']);
  }
  fast.push(['default', '$tracing__out_code_general']);
  general.push(['default', 'ppp']);
  return [
    renderMap('$tracing__scope$tracing_enabled|$tracing_trust_incoming$tracing__debug$tracing__in_present:$tracing__headers:$tracing_inject', '$tracing__out_code', fast,
      'Per format of b3, b3multi, jaeger: i inject, d inject with the debug flag, p pass the incoming\n' +
        'header through, - send none (not injected, and distrusted or absent).'),
    renderMap('$tracing__on$tracing__passthrough$tracing__debug$tracing__in_present$tracing__inject_set', '$tracing__out_code_general', general,
      'The same for every inject set. Not traced (or an unexpected set): everything passes through.'),
  ].join('\n');
}

/** One outgoing header: its value per action of its format. */
function headerMap(variable: string, format: Format, value: (a: Action) => string): string {
  const at = OTHER.indexOf(format);
  const entries: MapEntry[] = [];
  for (const code of codes()) {
    const v = value(code[at] as Action);
    if (v !== '') entries.push([code, v]);
  }
  entries.push(['default', '']);
  return renderMap('$tracing__out_code', variable, entries);
}

export function renderOutgoing(): string {
  // sampled: $tracing_sampled (1 or 0), or d / 3 (B3 / Jaeger debug, which implies accept).
  const inject = (normal: string, debug: string, header: string) => (a: Action) =>
    a === 'i' ? normal : a === 'd' ? debug : a === 'p' ? header : '';
  const ids = (sampling: string) => `$tracing_trace_id-$tracing__client_span_id-${sampling}-$tracing_span_id`;
  const uber = (flags: string) => `$tracing_trace_id:$tracing__client_span_id:$tracing_span_id:${flags}`;
  return [
    `# ---- GENERATED by src/conf/fragments/outgoing.ts from src/contract/modes.ts and src/contract/extract.ts.`,
    ...w3cMaps(),
    presentMap(),
    codeMap(),
    headerMap('$tracing__out_b3', 'b3', inject(ids('$tracing_sampled'), ids('d'), '$http_b3')),
    headerMap('$tracing__out_x_b3_traceid', 'b3multi', inject('$tracing_trace_id', '$tracing_trace_id', '$http_x_b3_traceid')),
    headerMap('$tracing__out_x_b3_spanid', 'b3multi', inject('$tracing__client_span_id', '$tracing__client_span_id', '$http_x_b3_spanid')),
    headerMap('$tracing__out_x_b3_parentspanid', 'b3multi', inject('$tracing_span_id', '$tracing_span_id', '$http_x_b3_parentspanid')),
    '# B3: debug implies accept, and X-B3-Sampled is then not sent.',
    headerMap('$tracing__out_x_b3_sampled', 'b3multi', inject('$tracing_sampled', '', '$http_x_b3_sampled')),
    headerMap('$tracing__out_x_b3_flags', 'b3multi', inject('', '1', '$http_x_b3_flags')),
    headerMap('$tracing__out_uber_trace_id', 'jaeger', inject(uber('$tracing_sampled'), uber('3'), '$http_uber_trace_id')),
  ].join('\n');
}
