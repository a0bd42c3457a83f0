/**
 * Incoming trace context: tries the configured formats in order and keeps the
 * first valid full context. Pure: headers come through a HeaderReader.
 */
import { B3, presentB3MultiHeaders, parseB3Multi, parseB3Single } from './b3';
import { UBER_TRACE_ID, parseUberTraceId } from './jaeger';
import { TRACESTATE, parseTraceState } from './tracestate';
import type { Extracted, Format, HeaderReader } from './types';
import { TRACEPARENT, parseTraceparent } from './w3c';

export { B3, B3_MULTI_HEADERS, X_B3_FLAGS, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_SPAN_ID, X_B3_TRACE_ID } from './b3';
export { UBER_TRACE_ID } from './jaeger';
export { TRACESTATE } from './tracestate';
export { TRACEPARENT } from './w3c';
export type { Extracted, Format, HeaderReader, Sampling } from './types';

export interface ExtractResult {
  /** The first valid full context in `order`; null if none. */
  context: Extracted | null;
  /** The first sampling-decision-only result (traceId ''), when no context was found. */
  decisionOnly: Extracted | null;
  /** Lowercase names of headers present but invalid in the formats tried, each once. */
  rejected: string[];
}

function header(read: HeaderReader, name: string): string {
  const value = read(name);
  return typeof value === 'string' ? value : '';
}

function reject(rejected: string[], name: string): void {
  if (rejected.indexOf(name) === -1) {
    rejected.push(name);
  }
}

function fromW3c(read: HeaderReader, rejected: string[]): Extracted | null {
  const traceparent = header(read, TRACEPARENT);
  if (traceparent === '') {
    return null;
  }
  const found = parseTraceparent(traceparent);
  if (found === null) {
    // "If the vendor failed to parse traceparent, it MUST NOT attempt to parse tracestate."
    reject(rejected, TRACEPARENT);
    return null;
  }
  // "failure to parse tracestate MUST NOT affect the parsing of traceparent":
  // a malformed tracestate is dropped whole and reported, the context is kept.
  const tracestate = header(read, TRACESTATE);
  if (tracestate !== '') {
    const traceState = parseTraceState(tracestate);
    if (traceState === null) {
      reject(rejected, TRACESTATE);
    } else {
      found.traceState = traceState;
    }
  }
  return found;
}

function fromB3Single(read: HeaderReader, rejected: string[]): Extracted | null {
  const value = header(read, B3);
  if (value === '') {
    return null;
  }
  const found = parseB3Single(value);
  if (found === null) {
    reject(rejected, B3);
  }
  return found;
}

function fromB3Multi(read: HeaderReader, rejected: string[]): Extracted | null {
  const reader = (name: string) => header(read, name);
  const present = presentB3MultiHeaders(reader);
  if (present.length === 0) {
    return null;
  }
  const found = parseB3Multi(reader);
  if (found === null) {
    // The X-B3-* headers stand or fall together: report every one present.
    for (let i = 0; i < present.length; i++) {
      reject(rejected, present[i]);
    }
  }
  return found;
}

function fromJaeger(read: HeaderReader, rejected: string[]): Extracted | null {
  const value = header(read, UBER_TRACE_ID);
  if (value === '') {
    return null;
  }
  const found = parseUberTraceId(value);
  if (found === null) {
    reject(rejected, UBER_TRACE_ID);
  }
  return found;
}

function fromFormat(format: Format, read: HeaderReader, rejected: string[]): Extracted | null {
  if (format === 'w3c') return fromW3c(read, rejected);
  if (format === 'b3') return fromB3Single(read, rejected);
  if (format === 'b3multi') return fromB3Multi(read, rejected);
  if (format === 'jaeger') return fromJaeger(read, rejected);
  return null;
}

/**
 * Tries `order` left to right and stops at the first valid full context.
 * Formats after it are not read, so their headers never appear in `rejected`.
 */
export function extract(order: Format[], read: HeaderReader): ExtractResult {
  const rejected: string[] = [];
  let context: Extracted | null = null;
  let decisionOnly: Extracted | null = null;
  for (let i = 0; i < order.length && context === null; i++) {
    const found = fromFormat(order[i], read, rejected);
    if (found === null) {
      continue;
    }
    if (found.traceId !== '') {
      context = found;
    } else if (decisionOnly === null) {
      decisionOnly = found;
    }
  }
  return { context, decisionOnly: context === null ? decisionOnly : null, rejected };
}
