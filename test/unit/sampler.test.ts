import { describe, expect, it } from 'vitest';
import { shouldSample, traceIdRatioSample } from '../../src/njs/sampler.js';

/** A trace id whose 56 low bits are `low` (14 hex digits). */
const withLowBits = (low: string) => '0123456789abcdef01' + low;

describe('traceIdRatioSample', () => {
  it('samples everything at ratio 1 and nothing at ratio 0', () => {
    expect(traceIdRatioSample(withLowBits('00000000000000'), 1)).toBe(true);
    expect(traceIdRatioSample(withLowBits('ffffffffffffff'), 0)).toBe(false);
  });

  it('samples a trace when its 56 low bits reach the threshold (1 - ratio) * 2^56', () => {
    // ratio 0.5: threshold 0x80000000000000
    expect(traceIdRatioSample(withLowBits('80000000000000'), 0.5)).toBe(true);
    expect(traceIdRatioSample(withLowBits('7fffffffffffff'), 0.5)).toBe(false);
    // ratio 0.25: threshold 0xc0000000000000
    expect(traceIdRatioSample(withLowBits('c0000000000000'), 0.25)).toBe(true);
    expect(traceIdRatioSample(withLowBits('bfffffffffffff'), 0.25)).toBe(false);
  });

  it('ignores the high bits of the trace id', () => {
    expect(traceIdRatioSample('ffffffffffffffffff' + '00000000000001', 0.5)).toBe(false);
  });

  it('samples nothing when the ratio is too small for 56 bits', () => {
    expect(traceIdRatioSample(withLowBits('ffffffffffffff'), 1e-18)).toBe(false);
  });

  it('keeps close to the ratio over many random ids', () => {
    let sampled = 0;
    const total = 20000;
    for (let i = 0; i < total; i++) {
      const id = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
      if (traceIdRatioSample(id, 0.1)) sampled++;
    }
    expect(sampled / total).toBeGreaterThan(0.085);
    expect(sampled / total).toBeLessThan(0.115);
  });
});

describe('shouldSample', () => {
  const id = withLowBits('00000000000001'); // rejected by any ratio < 1
  it('follows the parent in the parent-based samplers', () => {
    expect(shouldSample('parentbased_traceidratio', 0, 'sampled', id)).toBe(true);
    expect(shouldSample('parentbased_always_on', 1, 'unsampled', id)).toBe(false);
    expect(shouldSample('parentbased_always_off', 1, 'sampled', id)).toBe(true);
  });

  it('decides roots by the root sampler', () => {
    expect(shouldSample('parentbased_always_on', 0, 'none', id)).toBe(true);
    expect(shouldSample('parentbased_always_off', 1, 'none', id)).toBe(false);
    expect(shouldSample('parentbased_traceidratio', 0.5, 'none', id)).toBe(false);
  });

  it('ignores the parent in the non-parent-based samplers', () => {
    expect(shouldSample('always_off', 1, 'sampled', id)).toBe(false);
    expect(shouldSample('always_on', 0, 'unsampled', id)).toBe(true);
    expect(shouldSample('traceidratio', 0.5, 'sampled', id)).toBe(false);
  });
});
