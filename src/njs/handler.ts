/**
 * The nginx glue: the only module that knows the request object. It reads the
 * knobs and headers, runs the pure logic, and never lets an exception reach
 * nginx (a failing js_set must not turn into a 500 or a missing header).
 */
import { decide } from './decide.js';
import { readKnobs, type KnobName } from './knobs.js';
import { extract } from './propagation/extract.js';
import { fallbackLine, resultLine } from './result-line.js';

/** The parts of NginxHTTPRequest we use; tests pass their own. */
export interface RequestView {
  variables: { [name: string]: string | undefined };
  headersIn: { [name: string]: string | undefined };
  rawHeadersIn: string[][];
}

const TRACESTATE = 'tracestate';

/** Every value of a header, joined with ',' as RFC 9110 allows for lists. */
function allValues(r: RequestView, name: string): string {
  const values: string[] = [];
  const raw = r.rawHeadersIn;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i][0].toLowerCase() === name) values.push(raw[i][1]);
  }
  return values.join(',');
}

function readHeader(r: RequestView, name: string): string {
  if (name === TRACESTATE) return allValues(r, name);
  return r.headersIn[name] ?? '';
}

function requestId(r: RequestView): string {
  const id = r.variables.request_id ?? '';
  return /^[0-9a-f]{32}$/.test(id) ? id : '';
}

export function computeContext(r: RequestView): string {
  try {
    const knobs = readKnobs((name: KnobName | 'request_id') => r.variables[name] ?? '');
    const found = extract(knobs.extract, (name: string) => readHeader(r, name));
    return resultLine(decide(found, knobs, requestId(r)));
  } catch (e) {
    try {
      return fallbackLine(requestId(r), 'exception');
    } catch (e2) {
      return '';
    }
  }
}
