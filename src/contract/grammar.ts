/**
 * The header grammars as nginx map regexes (PCRE), composed from the named
 * parts the njs parsers export: one definition of each grammar, two engines.
 * Each native regex accepts only the common, valid shape of a header whose
 * njs result it can reproduce exactly; every other non-empty value goes to
 * njs, which parses it (and rejects it, if it is invalid).
 * Named captures become nginx variables; internal names start "tracing__".
 */
import * as b3 from '../njs/propagation/b3.js';
import * as jaeger from '../njs/propagation/jaeger.js';
import { END } from '../njs/propagation/types.js';
import * as w3c from '../njs/propagation/w3c-grammar.js';

/** A capture group nginx exposes as $name. */
function named(name: string, source: string): string {
  return `(?<${name}>${source})`;
}

/** "Not all zeros up to `stop`": ids that are all zeros identify nothing. */
function notAllZeros(stop: string): string {
  return `(?!0+${stop})`;
}

/*
 * Where a header has a usual shape, its regex comes first and captures a
 * field straight into the variable a map would otherwise compute from the
 * general regex's captures: nginx reads a variable that a regex set without
 * running its map (as `set` overrides a map). nginx sets every named capture
 * of a matching regex, an unmatched group to "", so such a variable is
 * captured only by a regex in which it always matches.
 */

// ---- W3C traceparent (src/njs/propagation/w3c-grammar.ts) -----------------------
// TRACEPARENT_00 with named captures; the low flags digit is kept apart (its
// two bits are read by a map).
const TRACEPARENT_00_HEAD =
  `^${w3c.OWS}00-${named('tracing__tp_trace', w3c.TRACE_ID)}-${named('tracing__tp_parent', w3c.PARENT_ID)}-`;
export const TRACEPARENT_00 = `${TRACEPARENT_00_HEAD}[0-9a-f]${named('tracing__tp_flag', '[0-9a-f]')}${w3c.OWS}${END}`;
// The usual flags, 00 to 03, are the flags we send on ($tracing__w3c_flags: only the two defined bits).
export const TRACEPARENT_00_USUAL =
  `${TRACEPARENT_00_HEAD}${named('tracing__w3c_flags', `0${named('tracing__tp_flag', '[0-3]')}`)}${w3c.OWS}${END}`;
// Any other version that may be valid: njs parses it (future fields).
export const TRACEPARENT_OTHER_VERSION = `^${w3c.OWS}(?!00)${w3c.VERSION}-`;

// ---- W3C tracestate ---------------------------------------------------------------
// NORMAL_LIST: a list as the njs parser forwards it (members joined by ","
// without OWS or empty members, at most 32 members and 512 characters): it
// passes through unchanged. Other valid shapes are normalized or truncated by njs.
export const TRACESTATE_NORMAL = w3c.NORMAL_LIST;

// ---- B3 single ------------------------------------------------------------------
// {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]], SamplingState 0 or 1
// natively; "d" (debug) and a bare decision ("0", "1", "d") go to njs.
export const B3_NATIVE_SAMPLING = '[01]';
const B3_TRACE_ID_SPLIT = b3.TRACE_ID.split('|'); // [32 hex, 16 hex]
const B3_SINGLE_REST =
  `-${notAllZeros(`(?:-|${END})`)}${named('tracing__b3_s', b3.SPAN_ID)}` +
  `(?:-${named('tracing__b3_f', B3_NATIVE_SAMPLING)}(?:-${notAllZeros(END)}${b3.SPAN_ID})?)?${END}`;
/** A 128-bit trace id straight into $tracing__b3_trace, then a 64-bit one (padded by a map). */
export const B3_SINGLE = [
  `^${notAllZeros('-')}${named('tracing__b3_trace', B3_TRACE_ID_SPLIT[0])}${B3_SINGLE_REST}`,
  `^${notAllZeros('-')}${named('tracing__b3_t16', B3_TRACE_ID_SPLIT[1])}${B3_SINGLE_REST}`,
];

// ---- B3 multi (X-B3-*), one key "TraceId|SpanId|ParentSpanId|Sampled|Flags" ------
export const B3_MULTI_KEY =
  '$http_x_b3_traceid|$http_x_b3_spanid|$http_x_b3_parentspanid|$http_x_b3_sampled|$http_x_b3_flags';
// X-B3-Sampled as njs reads it; X-B3-Flags "1" (debug) goes to njs, other values are ignored.
export const B3_MULTI_SAMPLED = '1|0|true|false';
const B3_MULTI_REST =
  `\\|${notAllZeros('\\|')}${named('tracing__m_s', b3.SPAN_ID)}` +
  `\\|(?:${notAllZeros('\\|')}${b3.SPAN_ID})?` +
  `\\|${named('tracing__m_smp', B3_MULTI_SAMPLED)}?` +
  `\\|(?!1${END})`;
/** A 128-bit trace id straight into $tracing__m_trace, then a 64-bit one (padded by a map). */
export const B3_MULTI = [
  `^${notAllZeros('\\|')}${named('tracing__m_trace', B3_TRACE_ID_SPLIT[0])}${B3_MULTI_REST}`,
  `^${notAllZeros('\\|')}${named('tracing__m_t16', B3_TRACE_ID_SPLIT[1])}${B3_MULTI_REST}`,
];
// Only an X-B3-Flags other than "1": njs sees no X-B3-* header at all.
export const B3_MULTI_ABSENT = `^\\|\\|\\|\\|(?!1${END})`;

// ---- Jaeger uber-trace-id ---------------------------------------------------------
// {trace-id}:{span-id}:{parent-span-id}:{flags}, lowercase, ":" not URL-encoded,
// flags without the debug bit (0x02): the last flags digit is one of 014589cd.
const LOWER_HEX = '[0-9a-f]';
const lower = (source: string) => source.split(jaeger.HEX).join(LOWER_HEX);
export const JAEGER_NATIVE_FLAGS = `${LOWER_HEX}?[014589cd]`;
const UBER_TRACE_ID_REST = `:${lower(jaeger.PARENT_SPAN_ID)}:${named('tracing__j_f', JAEGER_NATIVE_FLAGS)}${END}`;
/** The widest length of a "{1,N}" id: 32 for the trace id, 16 for the span id. */
const widest = (source: string) => Number(/\{1,(\d+)\}$/.exec(source)![1]);
/**
 * Full-width ids straight into $tracing__j_trace and $tracing__j_span; then
 * ids of any width (1..N digits), left-padded by maps.
 */
export const UBER_TRACE_ID = [
  `^${notAllZeros(':')}${named('tracing__j_trace', `${LOWER_HEX}{${widest(jaeger.TRACE_ID)}}`)}` +
    `:${notAllZeros(':')}${named('tracing__j_span', `${LOWER_HEX}{${widest(jaeger.SPAN_ID)}}`)}${UBER_TRACE_ID_REST}`,
  `^${notAllZeros(':')}${named('tracing__j_t', lower(jaeger.TRACE_ID))}` +
    `:${notAllZeros(':')}${named('tracing__j_s', lower(jaeger.SPAN_ID))}${UBER_TRACE_ID_REST}`,
];
