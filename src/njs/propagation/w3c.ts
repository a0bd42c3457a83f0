/**
 * W3C Trace Context (Level 2) `traceparent` parser.
 * https://www.w3.org/TR/trace-context-2/#traceparent-header
 */
import type { Extracted } from './types';

export const TRACEPARENT = 'traceparent';

// The grammar, in named parts. TRACEPARENT_RE is a literal spelling out their
// composition (types.ts, END); test/unit/propagation/regex-literals.test.ts
// checks the literal against it.
// version = 2HEXDIGLC ; "Version ff is invalid."
export const VERSION = '(?!ff)[0-9a-f]{2}';
// trace-id = 32HEXDIGLC ; "All zeroes forbidden"
export const TRACE_ID = '(?!0{32})[0-9a-f]{32}';
// parent-id = 16HEXDIGLC ; "All zeroes forbidden"
export const PARENT_ID = '(?!0{16})[0-9a-f]{16}';
// trace-flags = 2HEXDIGLC
export const FLAGS = '[0-9a-f]{2}';
// Higher versions: "the 2 characters [of flags] are either at the end of the
// string or followed by a dash"; "Vendors MUST NOT parse or assume anything
// about unknown fields". We only insist they hold no whitespace or controls.
export const FUTURE_FIELDS = '(?:-[\\x21-\\x7e]*)?';

// `^(${VERSION})-(${TRACE_ID})-(${PARENT_ID})-(${FLAGS})${FUTURE_FIELDS}${END}`
export const TRACEPARENT_RE =
  /^((?!ff)[0-9a-f]{2})-((?!0{32})[0-9a-f]{32})-((?!0{16})[0-9a-f]{16})-([0-9a-f]{2})(?:-[\x21-\x7e]*)?(?![\s\S])/;

/** "If the size of the header is shorter than 55 characters, the vendor should not parse the header" */
const V00_LENGTH = 55;

const FLAG_SAMPLED = 0x01;
const FLAG_RANDOM_TRACE_ID = 0x02;

/** Parses a `traceparent` value; null unless it is valid. traceState is left ''. */
export function parseTraceparent(value: string): Extracted | null {
  if (typeof value !== 'string' || value.length < V00_LENGTH) {
    return null;
  }
  // Version 00: exactly version "-" trace-id "-" parent-id "-" trace-flags.
  if (value.charAt(0) === '0' && value.charAt(1) === '0' && value.length !== V00_LENGTH) {
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
