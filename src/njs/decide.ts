/**
 * Turn what was extracted from the request into the context we propagate:
 * continue a trusted incoming trace or start a new one, and decide sampling.
 * Pure: ids come in as arguments, nothing here touches nginx.
 */
import type { Knobs } from './knobs.js';
import type { ExtractResult } from './propagation/extract.js';
import type { Extracted, Format } from './propagation/types.js';
import { shouldSample, type ParentSampling } from './sampler.js';

export interface Decision {
  traceId: string;
  /** Span id of the incoming parent; '' for a new trace. */
  parentId: string;
  sampled: boolean;
  /** W3C Level 2 random-trace-id flag for the trace id we propagate. */
  randomTraceId: boolean;
  /** B3 / Jaeger debug: forces sampling and is propagated. */
  debug: boolean;
  traceState: string;
  /** The distrusted incoming context, kept as a span link. */
  linkTraceId: string;
  linkSpanId: string;
  format: Format | '';
  rejected: string[];
  /** '' or a short code: config (a knob was invalid), exception. */
  error: string;
}

function parentSampling(extracted: Extracted | null): ParentSampling {
  if (extracted === null) return 'none';
  if (extracted.sampling === 'sampled' || extracted.sampling === 'debug') return 'sampled';
  if (extracted.sampling === 'unsampled') return 'unsampled';
  return 'none';
}

/** `requestId` is nginx's $request_id: 16 random bytes in hex, our new trace id. */
export function decide(found: ExtractResult, knobs: Knobs, requestId: string): Decision {
  const incoming = found.context;
  const trusted = knobs.trustIncoming ? incoming : null;
  const hint = knobs.trustIncoming ? trusted ?? found.decisionOnly : null;
  const traceId = trusted ? trusted.traceId : requestId;
  const debug = hint !== null && hint.sampling === 'debug';
  const sampled = debug || shouldSample(knobs.sampler, knobs.ratio, parentSampling(hint), traceId);
  const distrusted = !knobs.trustIncoming && incoming !== null;

  return {
    traceId,
    parentId: trusted ? trusted.spanId : '',
    sampled,
    // Our own trace ids come from $request_id, which is random.
    randomTraceId: trusted ? trusted.randomTraceId : true,
    debug,
    traceState: trusted ? trusted.traceState : '',
    linkTraceId: distrusted && incoming ? incoming.traceId : '',
    linkSpanId: distrusted && incoming ? incoming.spanId : '',
    format: trusted ? trusted.format : '',
    rejected: found.rejected,
    error: knobs.invalid.length > 0 ? 'config' : '',
  };
}
