/**
 * Sampling decisions through real nginx: parent-based by default, ratio for
 * roots (deterministic on the trace id), always_on/off, distrust with a link.
 * Unsampled requests still propagate their context (flag 00) and write no record.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { traceIdRatioSample } from '../../src/njs/sampler.js';
import { header } from '../support/echo-upstream.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { expectNoRecord, get, recordFor, startTracedNginx, uniquePath } from './traced-nginx.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const flagsOf = (traceparent: string | undefined) => traceparent?.slice(-2);

describeEachRuntime('sampling', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt);
  });

  describe('parent-based (default)', () => {
    it('propagates an unsampled parent as 00 and writes no record', async () => {
      const path = uniquePath('default');
      const { upstream } = await get(nginx, path, { traceparent: `00-${TRACE}-${PARENT}-00` });
      expect(header(upstream!, 'traceparent')).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
      await expectNoRecord(nginx, path);
    });

    it('follows a sampled parent even where new traces are sampled at ratio 0', async () => {
      const path = uniquePath('ratio0');
      const { upstream } = await get(nginx, path, { traceparent: `00-${TRACE}-${PARENT}-01` });
      expect(flagsOf(header(upstream!, 'traceparent'))).toBe('01');
      expect((await recordFor(nginx, path)).traceId).toBe(TRACE);
    });

    it('starts unsampled new traces at ratio 0 but still propagates them', async () => {
      const path = uniquePath('ratio0');
      const { upstream } = await get(nginx, path);
      expect(header(upstream!, 'traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
      await expectNoRecord(nginx, path);
    });
  });

  describe('trace-id ratio', () => {
    it('samples new traces by their trace id at ratio 0.5, and records exactly the sampled ones', async () => {
      const outcomes: boolean[] = [];
      for (let i = 0; i < 24; i++) {
        const path = uniquePath('ratio-half');
        const { upstream } = await get(nginx, path);
        const traceparent = header(upstream!, 'traceparent')!;
        const traceId = traceparent.slice(3, 35);
        const sampled = flagsOf(traceparent) === '03';
        expect(sampled, traceparent).toBe(traceIdRatioSample(traceId, 0.5));
        outcomes.push(sampled);
        if (sampled) expect((await recordFor(nginx, path)).traceId).toBe(traceId);
        else await expectNoRecord(nginx, path);
      }
      // 24 fair coin flips all alike: p = 2^-23.
      expect(outcomes).toContain(true);
      expect(outcomes).toContain(false);
    });

    it('decides a deferred incoming trace the same way on every replica', async () => {
      const replica = await startTracedNginx(rt);
      const ids = ['ffffffffffffffffff00000000000001', '00000000000000000080000000000000', TRACE];
      for (const traceId of ids) {
        const expected = traceIdRatioSample(traceId, 0.5) ? '01' : '00';
        for (const target of [nginx, replica]) {
          const { upstream } = await get(target, uniquePath('b3-ratio-half'), { b3: `${traceId}-${PARENT}` });
          expect(flagsOf(header(upstream!, 'traceparent')), `${traceId} on ${target.port('main')}`).toBe(expected);
        }
      }
    });
  });

  describe('always_on and always_off', () => {
    it('always_off ignores a sampled parent', async () => {
      const path = uniquePath('always-off');
      const { upstream } = await get(nginx, path, { traceparent: `00-${TRACE}-${PARENT}-01` });
      expect(flagsOf(header(upstream!, 'traceparent'))).toBe('00');
      await expectNoRecord(nginx, path);
    });

    it('always_on ignores an unsampled parent', async () => {
      const path = uniquePath('always-on');
      const { upstream } = await get(nginx, path, { traceparent: `00-${TRACE}-${PARENT}-00` });
      expect(flagsOf(header(upstream!, 'traceparent'))).toBe('01');
      await recordFor(nginx, path);
    });
  });

  describe('distrusted incoming context', () => {
    it('starts a new trace and keeps the incoming W3C context as a link', async () => {
      const path = uniquePath('distrust');
      const { upstream } = await get(nginx, path, {
        traceparent: `00-${TRACE}-${PARENT}-00`,
        tracestate: 'evil=1',
      });
      const record = await recordFor(nginx, path);
      expect(record.traceId).not.toBe(TRACE);
      expect(record).toMatchObject({ parentSpanId: '', link: { traceId: TRACE, spanId: PARENT }, traceState: '' });
      expect(header(upstream!, 'traceparent')).toBe(`00-${record.traceId}-${record.clientSpanId}-03`);
      expect(header(upstream!, 'tracestate')).toBeUndefined();
    });

    it('does not let a distrusted B3 debug flag force sampling or reach the upstream', async () => {
      const path = uniquePath('distrust-b3');
      const { upstream } = await get(nginx, path, { b3: `${TRACE}-${PARENT}-d`, 'uber-trace-id': `${TRACE}:${PARENT}:0:3` });
      const record = await recordFor(nginx, path);
      expect(record.link).toEqual({ traceId: TRACE, spanId: PARENT });
      expect(header(upstream!, 'b3')).toBe(`${record.traceId}-${record.clientSpanId}-1-${record.spanId}`);
      // Not injected here and distrusted: stripped rather than passed through.
      expect(header(upstream!, 'uber-trace-id')).toBeUndefined();
    });
  });

  it('reports an invalid knob as a config error and falls back to the default sampler', async () => {
    const path = uniquePath('bad-knob');
    const { upstream } = await get(nginx, path);
    expect(flagsOf(header(upstream!, 'traceparent'))).toBe('03');
    expect((await recordFor(nginx, path)).error).toBe('config');
  });
});
