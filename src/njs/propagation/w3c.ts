/**
 * W3C Trace Context (Level 2) `traceparent` parser.
 * https://www.w3.org/TR/trace-context-2/#traceparent-header
 * The grammar lives in w3c-grammar.ts.
 */
import type { Extracted } from './types';

export const TRACEPARENT = 'traceparent';

// TRACEPARENT from w3c-grammar.ts, as a literal (types.ts, END, says why);
// test/unit/propagation/regex-literals.test.ts checks it equals the composition.
// Leading and trailing spaces or tabs are OWS (RFC 9110), not part of the value.
export const TRACEPARENT_RE =
  /^[ \t]*(?!00-[\s\S]{52}-)((?!ff)[0-9a-f]{2})-((?!0{32})[0-9a-f]{32})-((?!0{16})[0-9a-f]{16})-([0-9a-f]{2})(?:-[\x21-\x7e]*)?[ \t]*(?![\s\S])/;

/** "If the size of the header is shorter than 55 characters, the vendor should not parse the header" */
const V00_LENGTH = 55;

const FLAG_SAMPLED = 0x01;
const FLAG_RANDOM_TRACE_ID = 0x02;

/** Parses a `traceparent` value; null unless it is valid. traceState is left ''. */
export function parseTraceparent(value: string): Extracted | null {
  // OWS only makes a value longer, so a shorter one cannot hold a context.
  if (typeof value !== 'string' || value.length < V00_LENGTH) {
    return null;
  }
  const m = TRACEPARENT_RE.exec(value);
  if (m === null) {
    return null;
  }
  // "you cannot interpret flags by decoding the hex value ... forgetting to mask"
  const flags = parseInt(m[4], 16);
  return {
    format: 'w3c',
    traceId: m[2],
    spanId: m[3],
    sampling: (flags & FLAG_SAMPLED) !== 0 ? 'sampled' : 'unsampled',
    randomTraceId: (flags & FLAG_RANDOM_TRACE_ID) !== 0,
    traceState: '',
  };
}
