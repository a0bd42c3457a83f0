/**
 * The maps that split the njs result line into variables, from
 * src/contract/result.ts: one regex per field, at the field's position.
 */
import { RESULT_FIELDS } from '../../contract/result.js';
import { fragment, regexKey, renderMap, type MapEntry } from './render.js';

export function resultFieldRegex(index: number, pattern: string, last: boolean): string {
  const before = index === 0 ? '' : `(?:\\S+ ){${index}}`;
  return `^${before}(?<v>${pattern})${last ? '$' : ' '}`;
}

export function renderJsResult(): string {
  const blocks = RESULT_FIELDS.map((field, i) => {
    const last = i === RESULT_FIELDS.length - 1;
    const entries: MapEntry[] = [[regexKey(resultFieldRegex(i, field.pattern, last)), '$v']];
    if (field.missing !== undefined) {
      entries.push([regexKey(resultFieldRegex(i, '-', last).replace('(?<v>-)', '-')), field.empty]);
      entries.push(['default', field.missing]);
    } else {
      entries.push(['default', field.empty]);
    }
    return renderMap('$tracing__js_result', field.variable, entries);
  });
  return fragment(
    'src/conf/fragments/js-result.ts',
    'src/contract/result.ts (the line src/njs/result-line.ts writes)',
    `Fields, in order: ${RESULT_FIELDS.map((f) => f.name).join(' ')}; "-" for empty.`,
    blocks,
  );
}
