/**
 * Which incoming context wins, natively, for every $tracing_extract list
 * (src/contract/extract.ts), and the winner's fields.
 */
import { FORMAT_LETTER, FORMATS, extractLists, pickCode, stateStrings } from '../../contract/extract.js';
import type { Format } from '../../njs/propagation/types.js';
import { fragment, regexKey, renderMap, type MapEntry } from './render.js';

const STATE_VAR: Record<Format, string> = {
  w3c: 'tracing__st_w',
  b3: 'tracing__st_b',
  b3multi: 'tracing__st_m',
  jaeger: 'tracing__st_j',
};

const FIELDS: Record<Format, { trace: string; span: string; sampling: string }> = {
  w3c: { trace: '$tracing__tp_trace', span: '$tracing__tp_parent', sampling: '$tracing__w3c_sampling' },
  b3: { trace: '$tracing__b3_trace', span: '$tracing__b3_s', sampling: '$tracing__b3_in_sampling' },
  b3multi: { trace: '$tracing__m_trace', span: '$tracing__m_s', sampling: '$tracing__m_sampling' },
  jaeger: { trace: '$tracing__j_trace', span: '$tracing__j_span', sampling: '$tracing__j_sampling' },
};

function listStates(): MapEntry[] {
  // Only the listed formats' states are in the value, so only their headers are read.
  const entries: MapEntry[] = extractLists().map((list) => [
    list.join(','),
    list.map((f) => `${FORMAT_LETTER[f]}\${${STATE_VAR[f]}}`).join(''),
  ]);
  entries.push(['default', 'x']);
  return entries;
}

/**
 * Exact keys for the common state strings (at most one header present, or a
 * rejected traceparent and one other); the regexes decide the rest in the
 * same way (an "x" before the winner matches none of them: njs).
 */
function picks(): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const list of extractLists()) {
    for (const [states, p] of stateStrings(list)) {
      const present = states.replace(/[wbmj]n/g, '').replace('wi', '');
      if (present.length <= 2) entries.push([states, pickCode(p)]);
    }
  }
  entries.push([regexKey('^(?:[bmj]n)*wi(?:[bmj]n)*(?<tracing__pk>[bmj])v'), '${tracing__pk}1']);
  entries.push([regexKey('^(?:[wbmj]n)*(?<tracing__pk>[wbmj])v'), '${tracing__pk}0']);
  entries.push([regexKey('^(?:[bmj]n)*wi(?:[bmj]n)*$'), 'n1']);
  entries.push([regexKey('^(?:[wbmj]n)*$'), 'n0']);
  entries.push(['default', 'x']);
  return entries;
}

const WINNERS: Array<[string, Format]> = FORMATS.map((f) => [FORMAT_LETTER[f], f]);

/**
 * The winner's fields, keyed on $tracing__tw: "1" trusted or "0" distrusted,
 * then the winner's letter ("0n", "1n": no context). One key for all of them.
 */
function byTrustedWinner(trusted: (f: Format) => string, distrusted: (f: Format) => string, otherwise: string): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const [letter, f] of WINNERS) {
    if (trusted(f) !== otherwise) entries.push([`1${letter}`, trusted(f)]);
    if (distrusted(f) !== otherwise) entries.push([`0${letter}`, distrusted(f)]);
  }
  entries.push(['default', otherwise]);
  return entries;
}

function trustedWinner(): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const l of [...WINNERS.map(([letter]) => letter), 'n']) {
    for (const r of ['0', '1']) {
      entries.push([`on:${l}${r}`, `1${l}`]);
      entries.push([`off:${l}${r}`, `0${l}`]);
    }
  }
  entries.push(['default', '0n']);
  return entries;
}

/** W3C flags: sampled (0x01); random trace id (0x02): our own new ids ($request_id), or as a W3C parent said. */
function flags(): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const [letter, f] of WINNERS) {
    for (const s of ['1', '0']) {
      const w3c = `$tracing__w3c_flags_${s === '1' ? 'sampled' : 'unsampled'}`;
      entries.push([`1${letter}:${s}`, f === 'w3c' ? w3c : `0${s}`]);
    }
  }
  entries.push([regexKey(':1$'), '03']);
  entries.push(['default', '02']);
  return entries;
}

/**
 * Native when the pick is native, the knobs valid, and the root decision known
 * or not needed. Where the outcome has a specific mode (src/contract/modes.ts:
 * a new trace, a trusted W3C parent followed or decided by the ratio, a
 * distrusted one, a trusted B3/Jaeger winner), that cheaper mode is used. The
 * key ends with the root decision (1, 0 or ratio) and whether it is native.
 */
function generalMode(p: string, trust: string, kind: string, sample: string, rootNative: boolean): string {
  const winner = WINNERS.find(([l]) => `${l}0` === p)?.[1];
  if (p === 'w0' && trust === 'on' && kind === 'parent') return 'continue';
  if (!rootNative) return kind === 'parent' ? '$tracing__mode_parent_only' : '';
  if (p.startsWith('n')) return sample === '1' ? 'root' : sample === 'ratio' ? 'rootratio' : 'native';
  if (p === 'w0' && trust === 'off') return sample === '1' ? 'distrust' : 'native';
  if (p === 'w0') return sample === 'ratio' ? 'continueratio' : 'native';
  if (winner && winner !== 'w3c' && trust === 'on' && kind === 'parent' && sample === '1') return winner;
  return 'native';
}

export function renderModeGeneral(): string {
  const entries: MapEntry[] = [];
  const nativePicks = [...WINNERS.map(([l]) => l), 'n'].flatMap((l) => [`${l}0`, `${l}1`]).filter((p) => p !== 'w1');
  for (const p of nativePicks) {
    for (const trust of ['on', 'off']) {
      for (const kind of ['parent', 'root']) {
        for (const sample of ['1', '0', 'ratio']) {
          for (const rootNative of sample === 'ratio' ? [true, false] : [true]) {
            const mode = generalMode(p, trust, kind, sample, rootNative);
            if (mode) entries.push([`${p}|${trust}|${kind}|${sample}${rootNative ? '1' : '0'}`, mode]);
          }
        }
      }
    }
  }
  entries.push(['default', 'js']);
  return [
    renderMap('$tracing__pick|$tracing_trust_incoming|$tracing__sampler_kind|$tracing__root_sample$tracing__root_native', '$tracing__mode_general', entries,
      'GENERATED by src/conf/fragments/extract.ts: every native pick (src/contract/extract.ts) with valid knobs.'),
    renderMap('$tracing__pick', '$tracing__native_rejected', [...[...WINNERS.map(([l]) => l), 'n'].map((l): MapEntry => [`${l}1`, 'traceparent']), ['default', '']]),
  ].join('\n');
}

export function renderExtract(): string {
  const F = FIELDS;
  return fragment(
    'src/conf/fragments/extract.ts',
    'src/contract/extract.ts (the order rule of src/njs/propagation/extract.ts)',
    '$tracing__pick: the winning format\'s letter (n: none) and 1 when a traceparent was\n' +
      'rejected before it, or x (njs decides). $tracing__tw: trusted (1) or not (0) and the\n' +
      'winner; the native path\'s fields are keyed on it.',
    [
      '# $tracing__ex_states and $tracing__pick: see the tables at the end of this file.',
      renderMap('$tracing_trust_incoming:$tracing__pick', '$tracing__tw', trustedWinner()),
      renderMap('$tracing__tw', '$tracing__trace', byTrustedWinner((f) => F[f].trace, () => '$request_id', '$request_id')),
      renderMap('$tracing__tw', '$tracing__native_parent_id', byTrustedWinner((f) => F[f].span, () => '', '')),
      renderMap('$tracing__tw', '$tracing__native_link_trace_id', byTrustedWinner(() => '', (f) => F[f].trace, '')),
      renderMap('$tracing__tw', '$tracing__native_link_span_id', byTrustedWinner(() => '', (f) => F[f].span, '')),
      renderMap('$tracing__tw', '$tracing__format', byTrustedWinner((f) => f, () => '', '')),
      renderMap('$tracing__tw', '$tracing__native_tracestate', byTrustedWinner((f) => (f === 'w3c' ? '$http_tracestate' : ''), () => '', '')),
      renderMap('$tracing__tw', '$tracing__parent', byTrustedWinner((f) => F[f].sampling, () => 'none', 'none'),
        'The trusted parent\'s decision: sampled, unsampled or none.'),
      renderMap('$tracing__tw:$tracing__sampled', '$tracing__native_flags', flags()),
    ].map((block) => block + '\n'),
  ).trimEnd();
}

/** The extract-list tables (at the end of tracing-http.conf). */
export function renderExtractTables(): string {
  return [
    renderMap('$tracing_extract', '$tracing__ex_states', listStates(),
      'GENERATED by src/conf/fragments/extract.ts from src/contract/extract.ts:\n' +
        'the states of the listed formats, in list order, each after its letter.'),
    renderMap('$tracing__ex_states', '$tracing__pick', picks(),
      'GENERATED by src/conf/fragments/extract.ts from src/contract/extract.ts (pick()).'),
  ].join('\n');
}
