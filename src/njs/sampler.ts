/**
 * Sampling: parent-based (honour the incoming decision) with a trace-id ratio
 * for roots. The ratio test looks only at the trace id, so every ingress
 * replica decides the same for the same trace.
 */
import type { SamplerName } from './knobs.js';

export type ParentSampling = 'sampled' | 'unsampled' | 'none';

/** 2^56: OpenTelemetry's TraceIdRatioBased compares the 56 low bits of the id. */
const RANDOMNESS_RANGE = Math.pow(2, 56);
const RANDOMNESS_HEX_DIGITS = 14;

/**
 * Sampled when the trace id's 56 least significant bits (the part W3C Level 2
 * requires to be random) reach the rejection threshold (1 - ratio) * 2^56.
 * Compared as fixed-width hex strings: njs 0.7.9 has no BigInt.
 */
export function traceIdRatioSample(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  const threshold = ratioThreshold(ratio);
  return threshold !== null && traceId.slice(-RANDOMNESS_HEX_DIGITS) >= threshold;
}

/**
 * The rejection threshold of a ratio in (0, 1) as 14 lowercase hex digits, or
 * null when it rounds up to 2^56 (the ratio samples nothing). The build
 * writes the native sampling table with this function (src/contract/sampling.ts).
 */
export function ratioThreshold(ratio: number): string | null {
  const threshold = Math.ceil((1 - ratio) * RANDOMNESS_RANGE).toString(16);
  if (threshold.length > RANDOMNESS_HEX_DIGITS) return null;
  return ('00000000000000' + threshold).slice(-RANDOMNESS_HEX_DIGITS);
}

export function shouldSample(sampler: SamplerName, ratio: number, parent: ParentSampling, traceId: string): boolean {
  const parentBased = sampler.indexOf('parentbased_') === 0;
  if (parentBased && parent !== 'none') return parent === 'sampled';
  const root = parentBased ? sampler.slice('parentbased_'.length) : sampler;
  if (root === 'always_on') return true;
  if (root === 'always_off') return false;
  return traceIdRatioSample(traceId, ratio);
}
