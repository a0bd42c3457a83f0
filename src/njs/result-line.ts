/**
 * The njs step hands its decision to nginx as one line that tracing-http.conf
 * splits with native maps (so njs runs once per request); the order and the
 * shapes are src/contract/result.ts, from which the build writes those maps:
 *   trace parent flags link_trace link_span format rejected debug error tracestate
 * Empty fields are "-"; tracestate goes last because its values may hold spaces.
 */
import type { Decision } from './decide.js';

function field(value: string): string {
  return value === '' ? '-' : value;
}

/** W3C trace-flags: 0x01 sampled, 0x02 random trace id. */
export function traceFlags(sampled: boolean, randomTraceId: boolean): string {
  return '0' + ((sampled ? 1 : 0) + (randomTraceId ? 2 : 0));
}

export function resultLine(d: Decision): string {
  return [
    d.traceId,
    field(d.parentId),
    traceFlags(d.sampled, d.randomTraceId),
    field(d.linkTraceId),
    field(d.linkSpanId),
    field(d.format),
    field(d.rejected.join(',')),
    d.debug ? '1' : '0',
    field(d.error),
    field(d.traceState),
  ].join(' ');
}

/** When our code fails: a new, unsampled trace, flagged so the record says so. */
export function fallbackLine(requestId: string, error: string): string {
  return [requestId, '-', traceFlags(false, true), '-', '-', '-', '-', '0', error, '-'].join(' ');
}
