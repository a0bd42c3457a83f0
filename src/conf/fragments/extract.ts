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

const FIELDS: Record<Format, { trace: string; span: string; sampling: string; random: string }> = {
  w3c: { trace: '$tracing_tp_trace', span: '$tracing_tp_parent', sampling: '$tracing_w3c_sampling', random: '$tracing_w3c_random' },
  b3: { trace: '$tracing__b3_trace', span: '$tracing__b3_s', sampling: '$tracing__b3_sampling', random: '0' },
  b3multi: { trace: '$tracing__m_trace', span: '$tracing__m_s', sampling: '$tracing__m_sampling', random: '0' },
  jaeger: { trace: '$tracing__j_trace', span: '$tracing__j_span', sampling: '$tracing__j_sampling', random: '0' },
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

function byWinner(field: 'trace' | 'span' | 'sampling' | 'random', otherwise: string): MapEntry[] {
  return [...FORMATS.map((f): MapEntry => [f, FIELDS[f][field]]), ['default', otherwise]];
}

export function renderExtract(): string {
  const winner: MapEntry[] = [];
  for (const [letter, f] of WINNERS) for (const r of ['0', '1']) winner.push([letter + r, f]);
  winner.push(['default', '']);
  return fragment(
    'src/conf/fragments/extract.ts',
    'src/contract/extract.ts (the order rule of src/njs/propagation/extract.ts)',
    '$tracing__pick: the winning format\'s letter (n: none) and 1 when a traceparent was\n' +
      'rejected before it, or x (njs decides). One exact key per list and state string.',
    [
      renderMap('$tracing_extract', '$tracing__ex_states', listStates(),
        'The states of the listed formats, in list order, each after its letter.'),
      renderMap('$tracing__ex_states', '$tracing__pick', picks()),
      renderMap('$tracing__pick', '$tracing__winner', winner),
      renderMap('$tracing__winner', '$tracing__ctx_trace', byWinner('trace', '')),
      renderMap('$tracing__winner', '$tracing__ctx_span', byWinner('span', '')),
      renderMap('$tracing__winner', '$tracing__ctx_sampling', byWinner('sampling', 'none')),
      renderMap('$tracing__winner', '$tracing__ctx_random', byWinner('random', '0')),
    ].map((block) => block + '\n'),
  ).trimEnd();
}
