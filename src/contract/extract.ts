/**
 * Extraction on the native path: which incoming format wins, as the njs
 * extract() decides it (src/njs/propagation/extract.ts): formats are tried in
 * the order of $tracing_extract and the first valid full context wins; an
 * invalid traceparent tried before it is reported ("rejected").
 *
 * Natively each format's header is in one of these states:
 *   n  absent (njs sees no header of the format)
 *   v  a valid full context of the native shape (grammar.ts)
 *   i  invalid, for traceparent only (njs rejects it and goes on)
 *   x  anything else: njs must look at it
 * The states are written interleaved with the format letters, in list order
 * ("wnbv": traceparent absent, b3 valid), and a generated table maps each such
 * string to the winner. Any "x" before the winner sends the request to njs.
 */
import type { Format } from '../njs/propagation/types.js';

export const FORMAT_LETTER: Record<Format, string> = { w3c: 'w', b3: 'b', b3multi: 'm', jaeger: 'j' };
export const FORMATS: Format[] = ['w3c', 'b3', 'b3multi', 'jaeger'];

/** Every ordered list of distinct formats (64), written as the knob is: "w3c,b3". */
export function extractLists(): Format[][] {
  const lists: Format[][] = [];
  const grow = (prefix: Format[]) => {
    for (const f of FORMATS) {
      if (prefix.includes(f)) continue;
      const list = [...prefix, f];
      lists.push(list);
      grow(list);
    }
  };
  grow([]);
  return lists;
}

/** The lists whose formats stand in the order of FORMATS ("w3c,b3,jaeger", "b3multi", …; 15): the generated exact keys cover these. */
export function extractListsInOrder(): Format[][] {
  return extractLists().filter((list) => list.every((f, i) => i === 0 || FORMATS.indexOf(list[i - 1]) < FORMATS.indexOf(f)));
}

export type Pick = { winner: Format | 'none'; rejectedTraceparent: boolean } | 'njs';

/** The outcome of one interleaved state string, as extract() would decide it. */
export function pick(states: Array<[Format, string]>): Pick {
  let rejectedTraceparent = false;
  for (const [format, state] of states) {
    if (state === 'v') return { winner: format, rejectedTraceparent };
    if (state === 'x') return 'njs';
    if (state === 'i') rejectedTraceparent = true;
  }
  return { winner: 'none', rejectedTraceparent };
}

/** The value nginx uses for a pick: winner letter (n: none) and 1 when traceparent was rejected. */
export function pickCode(p: Pick): string {
  if (p === 'njs') return 'x';
  return (p.winner === 'none' ? 'n' : FORMAT_LETTER[p.winner]) + (p.rejectedTraceparent ? '1' : '0');
}

/** Every state string of `list` made of n, v (and i for traceparent), with its pick. */
export function stateStrings(list: Format[]): Array<[string, Pick]> {
  let rows: Array<Array<[Format, string]>> = [[]];
  for (const f of list) {
    const states = f === 'w3c' ? ['n', 'v', 'i'] : ['n', 'v'];
    rows = rows.flatMap((row) => states.map((s) => [...row, [f, s] as [Format, string]]));
  }
  return rows.map((row) => [row.map(([f, s]) => FORMAT_LETTER[f] + s).join(''), pick(row)]);
}
