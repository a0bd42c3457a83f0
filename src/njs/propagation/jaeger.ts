/**
 * Jaeger `uber-trace-id` parser.
 * https://www.jaegertracing.io/docs/client-libraries/#propagation-format
 */
import { ALL_ZEROS_RE } from './types';
import type { Extracted } from './types';

export const UBER_TRACE_ID = 'uber-trace-id';

// The grammar, in named parts. The regex below is a literal spelling out its
// composition (types.ts, END); test/unit/propagation/regex-literals.test.ts
// checks the literal against it.
// Jaeger clients emit lowercase hex; we accept either case and lowercase it.
export const HEX = '[0-9a-fA-F]';
// trace-id: "64-bit or 128-bit random number in base16 format. Can be variable
// length, shorter values are 0-padded on the left."
export const TRACE_ID = `${HEX}{1,32}`;
// span-id: "64-bit random number in base16 format."
export const SPAN_ID = `${HEX}{1,16}`;
// parent-span-id: deprecated, "0" for a root span: format checked, value ignored.
export const PARENT_SPAN_ID = `${HEX}{1,16}`;
// flags: "One byte bitmap, as two hex digits"; one digit tolerated (a dropped leading zero).
export const FLAGS = `${HEX}{1,2}`;

// {trace-id}:{span-id}:{parent-span-id}:{flags}
// `^(${TRACE_ID}):(${SPAN_ID}):${PARENT_SPAN_ID}:(${FLAGS})${END}`
export const UBER_TRACE_ID_RE = /^([0-9a-fA-F]{1,32}):([0-9a-fA-F]{1,16}):[0-9a-fA-F]{1,16}:([0-9a-fA-F]{1,2})(?![\s\S])/;
// "the value ... may be URL-encoded": only the ':' separators are decoded.
const ENCODED_COLON_RE = /%3a/gi;

/** The longest valid value: 32:16:16:2 with every ':' written as '%3A'. */
const UBER_TRACE_ID_MAX = 32 + 16 + 16 + 2 + 3 * 3;
const ZEROS_32 = '00000000000000000000000000000000';

const FLAG_SAMPLED = 0x01;
const FLAG_DEBUG = 0x02;

function leftPad(id: string, length: number): string {
  return (ZEROS_32 + id).slice(-length);
}

/** Parses an `uber-trace-id` value; null unless valid. Ids come back lowercase and padded. */
export function parseUberTraceId(value: string): Extracted | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > UBER_TRACE_ID_MAX) {
    return null;
  }
  const m = UBER_TRACE_ID_RE.exec(value.replace(ENCODED_COLON_RE, ':'));
  if (m === null) {
    return null;
  }
  // "Value of 0 is invalid." (trace-id); a span id of 0 identifies no span either.
  if (ALL_ZEROS_RE.test(m[1]) || ALL_ZEROS_RE.test(m[2])) {
    return null;
  }
  const flags = parseInt(m[3], 16);
  return {
    format: 'jaeger',
    traceId: leftPad(m[1].toLowerCase(), 32),
    spanId: leftPad(m[2].toLowerCase(), 16),
    sampling: (flags & FLAG_DEBUG) !== 0 ? 'debug' : (flags & FLAG_SAMPLED) !== 0 ? 'sampled' : 'unsampled',
    randomTraceId: false,
    traceState: '',
  };
}
