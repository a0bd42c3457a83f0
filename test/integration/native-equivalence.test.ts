/**
 * The native path answers exactly as njs does, for every configuration of the
 * production matrix (bench/README.md): each case goes to a matrix location
 * and to its njs twin (same knobs, an extract list only njs reads) and the
 * two outcomes must be equal, ids replaced by their roles. Each case also
 * says which path the native location must take, so a shape that silently
 * fell back to njs (slow, but still equal) fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { NATIVE_MODES } from '../../src/contract/modes.js';
import { ratioThreshold, traceIdRatioSample } from '../../src/njs/sampler.js';
import { header } from '../support/echo-upstream.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { describeCases, PARENT, SPAN, TRACE, W3C, type Case } from './equivalence.js';
import { get, startTracedNginx, uniquePath } from './traced-nginx.js';

/** 32 members, 511 characters: the most a normal list may hold. */
const TS32 = Array.from({ length: 32 }, (_, i) => `k${String(i).padStart(2, '0')}=${'v'.repeat(11)}`).join(',');

const CASES: Case[] = [
  // 1-2: defaults
  ['mx-default', 'no context', {}, 'native'],
  ['mx-default', 'sampled W3C parent', { traceparent: W3C }, 'native'],
  ['mx-default', 'unsampled W3C parent', { traceparent: `00-${TRACE}-${PARENT}-00` }, 'native'],
  // 3: tracestate
  ['mx-default', 'tracestate, 2 members', { traceparent: W3C, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' }, 'native'],
  ['mx-default', 'tracestate, 32 members / 511 chars', { traceparent: W3C, tracestate: TS32 }, 'native'],
  ['mx-default', 'tracestate, value with inner and leading spaces', { traceparent: W3C, tracestate: 'a= x y,b=1' }, 'native'],
  ['mx-default', 'tracestate, keys with @ and a digit first', { traceparent: W3C, tracestate: 'foo@bar=1,1x=2' }, 'native'],
  ['mx-default', 'tracestate with OWS (njs normalizes)', { traceparent: W3C, tracestate: 'a=1 , b=2' }, 'js'],
  ['mx-default', 'tracestate with an empty member', { traceparent: W3C, tracestate: 'a=1,,b=2' }, 'js'],
  ['mx-default', 'tracestate of 33 members', { traceparent: W3C, tracestate: `${TS32},z=1` }, 'js'],
  ['mx-default', 'tracestate over 512 chars', { traceparent: W3C, tracestate: `${TS32},zz=${'1'.repeat(20)}`.slice(4) }, 'js'],
  ['mx-default', 'invalid tracestate', { traceparent: W3C, tracestate: 'A=1' }, 'js'],
  ['mx-default', 'tracestate with an unsampled parent', { traceparent: `00-${TRACE}-${PARENT}-02`, tracestate: 'a=1' }, 'native'],
  ['mx-default', 'tracestate with an invalid traceparent', { traceparent: `00-${TRACE}-${PARENT}`, tracestate: 'a=1' }, 'native'],
  ['mx-default', 'future traceparent version', { traceparent: `01-${TRACE}-${PARENT}-01-abc` }, 'js'],
  // 5: extract w3c,b3,b3multi,jaeger
  ['mx-all', 'nothing', {}, 'native'],
  ['mx-all', 'W3C parent + tracestate', { traceparent: W3C, tracestate: 'a=1' }, 'native'],
  ['mx-all', 'b3 sampled', { b3: `${TRACE}-${PARENT}-1` }, 'native'],
  ['mx-all', 'b3 unsampled', { b3: `${TRACE}-${PARENT}-0` }, 'native'],
  ['mx-all', 'b3 deferred', { b3: `${TRACE}-${PARENT}` }, 'native'],
  ['mx-all', 'b3 with parent span, 64-bit trace id', { b3: `${TRACE.slice(16)}-${PARENT}-1-${SPAN}` }, 'native'],
  ['mx-all', 'b3 debug (njs)', { b3: `${TRACE}-${PARENT}-d` }, 'js'],
  ['mx-all', 'b3 bare decision (njs)', { b3: '0' }, 'js'],
  ['mx-all', 'b3 all-zero trace id (njs rejects)', { b3: `${'0'.repeat(32)}-${PARENT}-1` }, 'js'],
  ['mx-all', 'X-B3-* sampled', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-sampled': '1' }, 'native'],
  ['mx-all', 'X-B3-* true, parent, flags 0', {
    'x-b3-traceid': TRACE.slice(16), 'x-b3-spanid': PARENT, 'x-b3-parentspanid': SPAN, 'x-b3-sampled': 'true', 'x-b3-flags': '0',
  }, 'native'],
  ['mx-all', 'X-B3-* deferred', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT }, 'native'],
  ['mx-all', 'X-B3-* unsampled', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-sampled': 'false' }, 'native'],
  ['mx-all', 'X-B3-Flags 1 (njs)', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-flags': '1' }, 'js'],
  ['mx-all', 'X-B3-Sampled alone (njs)', { 'x-b3-sampled': '1' }, 'js'],
  ['mx-all', 'uber-trace-id sampled', { 'uber-trace-id': `${TRACE}:${PARENT}:0:1` }, 'native'],
  ['mx-all', 'uber-trace-id short ids, unsampled', { 'uber-trace-id': '1a2b3c:4d5e:0:0' }, 'native'],
  ['mx-all', 'uber-trace-id 64-bit, flags 05', { 'uber-trace-id': `${TRACE.slice(16)}:${PARENT}:${SPAN}:05` }, 'native'],
  ['mx-all', 'uber-trace-id debug (njs)', { 'uber-trace-id': `${TRACE}:${PARENT}:0:3` }, 'js'],
  ['mx-all', 'uber-trace-id upper case (njs)', { 'uber-trace-id': `${TRACE.toUpperCase()}:${PARENT}:0:1` }, 'js'],
  ['mx-all', 'uber-trace-id %3A (njs)', { 'uber-trace-id': `${TRACE}%3A${PARENT}%3A0%3A1` }, 'js'],
  ['mx-all', 'traceparent and b3: W3C first', { traceparent: W3C, b3: `${TRACE.replace('0', '1')}-${SPAN}-0` }, 'native'],
  ['mx-all', 'invalid traceparent, then b3', { traceparent: 'junk', b3: `${TRACE}-${PARENT}-1` }, 'native'],
  ['mx-all', 'invalid traceparent alone', { traceparent: 'junk' }, 'native'],
  ['mx-all', 'valid W3C, junk b3 after it', { traceparent: W3C, b3: 'junk' }, 'native'],
  ['mx-all', 'junk b3 before a valid uber-trace-id (njs)', { b3: 'junk', 'uber-trace-id': `${TRACE}:${PARENT}:0:1` }, 'js'],
  // A shorter list: its own keys in the mode lookup.
  ['mx-w3c-b3', 'nothing', {}, 'native'],
  ['mx-w3c-b3', 'b3 sampled', { b3: `${TRACE}-${PARENT}-1` }, 'native'],
  ['mx-w3c-b3', 'W3C parent', { traceparent: W3C }, 'native'],
  ['mx-w3c-b3', 'W3C parent + tracestate', { traceparent: W3C, tracestate: 'a=1' }, 'native'],
  ['mx-w3c-b3', 'invalid traceparent, then b3', { traceparent: 'junk', b3: `${TRACE}-${PARENT}-1` }, 'native'],
  ['mx-w3c-b3', 'tracestate alone', { tracestate: 'a=1' }, 'native'],
  // An invalid knob the mode lookup is keyed on: the general chain decides, the record says err=config.
  ['mx-all-yes', 'nothing', {}, 'native'],
  ['mx-all-yes', 'b3 sampled', { b3: `${TRACE}-${PARENT}-1` }, 'native'],
  ['mx-all-yes', 'W3C parent', { traceparent: W3C }, 'native'],
  // 6: inject w3c,b3
  ['mx-inject', 'no context', {}, 'native'],
  ['mx-inject', 'W3C parent', { traceparent: W3C }, 'native'],
  ['mx-inject', 'unsampled W3C parent', { traceparent: `00-${TRACE}-${PARENT}-00` }, 'native'],
  // Trace-id ratio with a trusted parent: the parent's trace id decides (continueratio, b3, jaeger modes).
  ['mx-ratio', 'traceidratio 0.25, W3C parent + tracestate',
    { traceparent: W3C, tracestate: 'a=1', 'x-test-sampler': 'traceidratio', 'x-test-ratio': '0.25' }, 'native'],
  ['mx-ratio', 'traceidratio 0.25, unsampled random-id W3C parent',
    { traceparent: `00-${TRACE}-${PARENT}-02`, 'x-test-sampler': 'traceidratio', 'x-test-ratio': '0.25' }, 'native'],
  ['mx-ratio', 'traceidratio 0.3 (general chain), W3C parent',
    { traceparent: W3C, 'x-test-sampler': 'traceidratio', 'x-test-ratio': '0.3' }, 'native'],
  ['mx-all-ratio', 'b3 unsampled, decided by the ratio', { b3: `${TRACE}-${PARENT}-0` }, 'native'],
  ['mx-all-ratio', 'uber-trace-id', { 'uber-trace-id': `${TRACE}:${PARENT}:0:1` }, 'native'],
  ['mx-all-ratio', 'X-B3-*', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT }, 'native'],
  // A traceparent outside the extract list is not rejected.
  ['mx-b3', 'invalid traceparent, not extracted', { traceparent: 'junk' }, 'native'],
  ['mx-b3', 'invalid traceparent, not extracted, and b3', { traceparent: 'junk', b3: `${TRACE}-${PARENT}-1` }, 'native'],
  // 7: distrust
  ['mx-distrust', 'W3C parent + tracestate', { traceparent: W3C, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' }, 'native'],
  ['mx-distrust', 'unsampled W3C parent', { traceparent: `00-${TRACE}-${PARENT}-00` }, 'native'],
  ['mx-distrust-all', 'b3', { b3: `${TRACE}-${PARENT}-0` }, 'native'],
  ['mx-distrust-all', 'uber-trace-id', { 'uber-trace-id': `${TRACE}:${PARENT}:0:1` }, 'native'],
];

/** Trace ids whose 14 low digits are the ratio's threshold, one below it and one above. */
function aroundThreshold(ratio: number): string[] {
  const threshold = ratioThreshold(ratio)!;
  const n = parseInt(threshold, 16);
  return [n - 1, n, n + 1].map((v) => `4bf92f3577b34da6a3${v.toString(16).padStart(14, '0')}`);
}

const RATIOS = ['0.25', '0.1', '0.01', '0.001', '0.5', '0.999', '0.333'];

describeEachRuntime('native path equals njs', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt);
  });

  describeCases(() => nginx, CASES);

  describe('trace-id ratio, natively, bit for bit', () => {
    it.each(RATIOS)('traceidratio %s with a sampled parent, at the threshold and next to it', async (ratio) => {
      for (const traceId of aroundThreshold(Number(ratio))) {
        const headers = { traceparent: `00-${traceId}-${PARENT}-01`, 'x-test-sampler': 'traceidratio', 'x-test-ratio': ratio };
        const native = await get(nginx, uniquePath('mx-ratio'), headers);
        const njs = await get(nginx, uniquePath('mx-ratio-njs'), headers);
        expect(NATIVE_MODES).toContain(native.headers['x-tracing-path']);
        expect(njs.headers['x-tracing-path']).toBe('js');
        const expected = traceIdRatioSample(traceId, Number(ratio)) ? '01' : '00';
        expect(header(native.upstream!, 'traceparent')?.slice(-2), `${ratio} ${traceId}`).toBe(expected);
        expect(header(njs.upstream!, 'traceparent')?.slice(-2), `${ratio} ${traceId}`).toBe(expected);
      }
    });

    it.each(RATIOS)('parentbased_traceidratio %s decides new traces on their id as njs would', async (ratio) => {
      const headers = { 'x-test-sampler': 'parentbased_traceidratio', 'x-test-ratio': ratio };
      // 16 new traces: about one in 16 has the threshold's first digit (the full comparison).
      for (let i = 0; i < 16; i++) {
        const res = await get(nginx, uniquePath('mx-ratio'), headers);
        expect(NATIVE_MODES).toContain(res.headers['x-tracing-path']);
        const traceparent = header(res.upstream!, 'traceparent')!;
        const sampled = traceIdRatioSample(traceparent.slice(3, 35), Number(ratio));
        expect(traceparent.slice(-2), traceparent).toBe(sampled ? '03' : '02');
      }
    });

    it('a ratio outside the table is decided by njs', async () => {
      const res = await get(nginx, uniquePath('mx-ratio'), { 'x-test-sampler': 'parentbased_traceidratio', 'x-test-ratio': '0.0001' });
      expect(res.headers['x-tracing-path']).toBe('js');
    });
  });
});
