/**
 * The formats injected upstream, natively, from $tracing_inject
 * (src/contract/extract.ts lists the formats): one exact key per list.
 */
import { FORMAT_LETTER, FORMATS, extractLists, extractListsInOrder } from '../../contract/extract.js';
import type { Format } from '../../njs/propagation/types.js';
import { INJECT_LIST_SOURCE } from '../../contract/knobs.js';
import { fragment, regexKey, renderMap, type MapEntry } from './render.js';

/** The list grammar njs checks (src/contract/knobs.ts), for lists written with spaces. */
const SPACED_LIST = `^all:(${INJECT_LIST_SOURCE})$`;

export function renderInject(): string {
  const sets: MapEntry[] = [['w3c:w3c', 'w'], ['all:same', '$tracing__inject_same']];
  // The letters in the order of FORMATS whatever the list's order: fewer sets for the maps keyed on them.
  const letters = (list: Format[]) => FORMATS.filter((f) => list.includes(f)).map((f) => FORMAT_LETTER[f]).join('');
  for (const list of extractLists()) sets.push([`all:${list.join(',')}`, letters(list)]);
  sets.push([regexKey('^all: *same *$', true), '$tracing__inject_same']);
  sets.push([regexKey(SPACED_LIST, true), '$tracing__inject_spaced']);
  sets.push(['default', 'w']);
  const same: MapEntry[] = [['', 'w'], ...FORMATS.map((f): MapEntry => [f, FORMAT_LETTER[f]])];
  const spaced = FORMATS.map((f) => `$tracing__inject_spaced_${FORMAT_LETTER[f]}`).join('');
  const blocks = [
    renderMap('$tracing__headers:$tracing_inject', '$tracing__inject_set', sets,
      'Letters of the formats to inject. Formats other than W3C need tracing-location-formats.conf\n' +
        '($tracing__headers all); an invalid list injects the default, W3C.'),
    renderMap('$tracing__incoming_format', '$tracing__inject_same', same, '"same": the format the context came in (W3C for a new trace).'),
    renderMap('$tracing_inject', '$tracing__inject_spaced', [['default', spaced]]),
  ];
  for (const f of FORMATS) {
    const letter = FORMAT_LETTER[f];
    blocks.push(renderMap('$tracing_inject', `$tracing__inject_spaced_${letter}`, [
      [regexKey(`(^|,) *${f} *(,|$)`, true), letter], ['default', ''],
    ]));
    if (f !== 'w3c') continue; // the other formats: $tracing__out_code (outgoing.ts)
    const keys: MapEntry[] = [];
    for (const list of extractListsInOrder()) {
      if (list.includes(f)) keys.push([`1:${letters(list)}`, '1']);
    }
    keys.push([regexKey(`^1:[a-z]*${letter}`), '1']);
    keys.push(['default', '0']);
    blocks.push(renderMap('$tracing__on:$tracing__inject_set', `$tracing__inject_${f}`, keys));
  }
  return fragment(
    'src/conf/fragments/inject.ts',
    'src/contract/extract.ts (the format names) and the inject-list rule of src/njs/knobs.ts',
    '$tracing__inject_set: the letters of the formats to inject (in the order w, b, m, j); $tracing__inject_w3c: 1 when this request injects W3C.',
    blocks.map((block) => block + '\n'),
  ).trimEnd();
}
