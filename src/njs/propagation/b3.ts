/**
 * Zipkin B3 parsers: the single `b3` header and the multi-header X-B3-* set.
 * https://github.com/openzipkin/b3-propagation
 */
import { ALL_ZEROS_RE } from './types';
import type { Extracted, Format, HeaderReader, Sampling } from './types';

export const B3 = 'b3';
export const X_B3_TRACE_ID = 'x-b3-traceid';
export const X_B3_SPAN_ID = 'x-b3-spanid';
export const X_B3_PARENT_SPAN_ID = 'x-b3-parentspanid';
export const X_B3_SAMPLED = 'x-b3-sampled';
export const X_B3_FLAGS = 'x-b3-flags';
/** Every header of the multi-header encoding, in the README's order. */
export const B3_MULTI_HEADERS = [X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_FLAGS];

// The grammar, in named parts. The regexes below are literals spelling out their
// composition (types.ts, END); test/unit/propagation/regex-literals.test.ts
// checks each literal against it.
// "The TraceId header is encoded as 32 or 16 lower-hex characters."
export const TRACE_ID = '[0-9a-f]{32}|[0-9a-f]{16}';
// "The SpanId header is encoded as 16 lower-hex characters."
export const SPAN_ID = '[0-9a-f]{16}';
// SamplingState: "1" accept, "0" deny, "d" debug
export const SAMPLING_STATE = '[01d]';

// b3: {TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}, the last two optional
// `^(${TRACE_ID})-(${SPAN_ID})(?:-(${SAMPLING_STATE})(?:-(${SPAN_ID}))?)?${END}`
export const B3_SINGLE_RE = /^([0-9a-f]{32}|[0-9a-f]{16})-([0-9a-f]{16})(?:-([01d])(?:-([0-9a-f]{16}))?)?(?![\s\S])/;
// "b3: 0" etc.: "the sampling state ... can be sent alone"
// `^${SAMPLING_STATE}${END}`
export const B3_DECISION_RE = /^[01d](?![\s\S])/;
// `^(?:${TRACE_ID})${END}`
export const TRACE_ID_RE = /^(?:[0-9a-f]{32}|[0-9a-f]{16})(?![\s\S])/;
// `^${SPAN_ID}${END}`
export const SPAN_ID_RE = /^[0-9a-f]{16}(?![\s\S])/;

/** The longest valid single header: 32-16-1-16. */
const B3_SINGLE_MAX = 68;
const PAD_64_BIT = '0000000000000000';

function samplingOf(state: string): Sampling {
  if (state === '1') return 'sampled';
  if (state === '0') return 'unsampled';
  if (state === 'd') return 'debug';
  return 'deferred';
}

/** A 16 or 32 hex id that is not all zeros, left-padded to 32. */
function fullTraceId(id: string): string {
  return id.length === 16 ? PAD_64_BIT + id : id;
}

function context(format: Format, traceId: string, spanId: string, sampling: Sampling): Extracted {
  return { format, traceId, spanId, sampling, randomTraceId: false, traceState: '' };
}

/** Parses a `b3` single-header value; null unless valid. A bare decision gives traceId ''. */
export function parseB3Single(value: string): Extracted | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > B3_SINGLE_MAX) {
    return null;
  }
  if (B3_DECISION_RE.test(value)) {
    return context('b3', '', '', samplingOf(value));
  }
  const m = B3_SINGLE_RE.exec(value);
  if (m === null) {
    return null;
  }
  // All-zero ids identify nothing: refuse them, the parent id included.
  if (ALL_ZEROS_RE.test(m[1]) || ALL_ZEROS_RE.test(m[2]) || (m[4] !== undefined && ALL_ZEROS_RE.test(m[4]))) {
    return null;
  }
  return context('b3', fullTraceId(m[1]), m[2], samplingOf(m[3] ?? ''));
}

/** X-B3-Sampled: "1" accept, "0" deny; README: "accept either" true/false too. '' = absent. */
function multiSampled(value: string): Sampling | null {
  if (value === '') return 'deferred';
  if (value === '1' || value === 'true') return 'sampled';
  if (value === '0' || value === 'false') return 'unsampled';
  return null;
}

function validId(value: string, re: RegExp): boolean {
  return re.test(value) && !ALL_ZEROS_RE.test(value);
}

/** The X-B3-* headers that carry something, in order; X-B3-Flags only when "1". */
export function presentB3MultiHeaders(read: HeaderReader): string[] {
  const present: string[] = [];
  for (let i = 0; i < B3_MULTI_HEADERS.length; i++) {
    const name = B3_MULTI_HEADERS[i];
    const value = read(name);
    if (value !== '' && (name !== X_B3_FLAGS || value === '1')) {
      present.push(name);
    }
  }
  return present;
}

/**
 * Parses the X-B3-* headers; null when none is present or any is invalid.
 * Sampled/Flags without ids give a decision only (traceId '').
 */
export function parseB3Multi(read: HeaderReader): Extracted | null {
  const traceId = read(X_B3_TRACE_ID);
  const spanId = read(X_B3_SPAN_ID);
  const parentSpanId = read(X_B3_PARENT_SPAN_ID);
  let sampling = multiSampled(read(X_B3_SAMPLED));
  if (sampling === null) {
    return null;
  }
  // "Debug is encoded as X-B3-Flags: 1. Debug implies an accept decision."
  // Any other X-B3-Flags value is ignored, as Brave and Zipkin do.
  if (read(X_B3_FLAGS) === '1') {
    sampling = 'debug';
  }
  if (parentSpanId !== '' && !validId(parentSpanId, SPAN_ID_RE)) {
    return null;
  }
  if (traceId === '' && spanId === '') {
    // A parent span id only makes sense next to the ids of its child.
    if (parentSpanId !== '' || sampling === 'deferred') {
      return null;
    }
    return context('b3multi', '', '', sampling);
  }
  if (!validId(traceId, TRACE_ID_RE) || !validId(spanId, SPAN_ID_RE)) {
    return null;
  }
  return context('b3multi', fullTraceId(traceId), spanId, sampling);
}
