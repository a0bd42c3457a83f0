/**
 * Trace context in and out, through real nginx on every runtime: each format
 * extracted, each format injected, re-injected headers replaced (never
 * duplicated), and the injected parent equal to the record's CLIENT span.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { header, headerValues } from '../support/echo-upstream.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, HEX16, HEX32, recordFor, startTracedNginx, uniquePath } from './traced-nginx.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const TRACE64 = '64fe8b2a57d3eff7';

describeEachRuntime('propagation', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt);
  });

  describe('W3C (default)', () => {
    it('starts a new sampled trace and injects traceparent when nothing came in', async () => {
      const path = uniquePath('default');
      const { upstream } = await get(nginx, path);
      const traceparent = header(upstream!, 'traceparent')!;
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
      const record = await recordFor(nginx, path);
      expect(traceparent).toBe(`00-${record.traceId}-${record.clientSpanId}-03`);
      expect(record.parentSpanId).toBe('');
      expect(record.spanId).not.toBe(record.clientSpanId);
      expect(header(upstream!, 'tracestate')).toBeUndefined();
    });

    it('continues a valid traceparent with a new parent id and keeps its flags', async () => {
      const path = uniquePath('default');
      const { upstream } = await get(nginx, path, { traceparent: `00-${TRACE}-${PARENT}-01` });
      const record = await recordFor(nginx, path);
      expect(headerValues(upstream!, 'traceparent')).toEqual([`00-${TRACE}-${record.clientSpanId}-01`]);
      expect(record).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, traceFlags: 1, incomingFormat: 'w3c' });
    });

    it('keeps the Level 2 random-trace-id flag of the incoming context', async () => {
      const { upstream } = await get(nginx, uniquePath('default'), { traceparent: `00-${TRACE}-${PARENT}-03` });
      expect(header(upstream!, 'traceparent')).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-03$`));
    });

    it('parses a future traceparent version and answers in version 00', async () => {
      const { upstream } = await get(nginx, uniquePath('default'), {
        traceparent: `cc-${TRACE}-${PARENT}-01-what-the-future-holds`,
      });
      expect(header(upstream!, 'traceparent')).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    });

    it('forwards a valid multi-member tracestate as it came, OWS and empty members removed', async () => {
      const path = uniquePath('default');
      const { upstream } = await get(nginx, path, {
        traceparent: `00-${TRACE}-${PARENT}-01`,
        tracestate: 'congo=t61rcWkgMzE,  rojo=00f067aa0ba902b7 ,\t, tenant@vendor= spaced value,',
      });
      const kept = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,tenant@vendor= spaced value';
      expect(header(upstream!, 'tracestate')).toBe(kept);
      const record = await recordFor(nginx, path);
      expect(record).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, traceState: kept, rejectedHeaders: [] });
    });

    it('drops a malformed tracestate but keeps the traceparent', async () => {
      const path = uniquePath('default');
      const { upstream } = await get(nginx, path, {
        traceparent: `00-${TRACE}-${PARENT}-01`,
        tracestate: 'congo=t61rcWkgMzE,  rojo=00f067aa0ba902b7, BAD KEY=1, tenant@vendor=x',
      });
      expect(header(upstream!, 'tracestate')).toBeUndefined();
      const record = await recordFor(nginx, path);
      expect(headerValues(upstream!, 'traceparent')).toEqual([`00-${TRACE}-${record.clientSpanId}-01`]);
      expect(record).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, traceState: '', rejectedHeaders: ['tracestate'] });
    });

    it('ignores a tracestate that comes without a valid traceparent', async () => {
      const path = uniquePath('default');
      const { upstream } = await get(nginx, path, { traceparent: `00-${TRACE}-${PARENT}-0x`, tracestate: 'congo=1' });
      expect(header(upstream!, 'tracestate')).toBeUndefined();
      const record = await recordFor(nginx, path);
      expect(record.traceId).not.toBe(TRACE);
      expect(record.rejectedHeaders).toEqual(['traceparent']);
    });
  });

  describe('B3 single header', () => {
    it('continues a 128-bit b3 context and injects b3 with our span as parent', async () => {
      const path = uniquePath('b3');
      const { upstream } = await get(nginx, path, { b3: `${TRACE}-${PARENT}-1` });
      const record = await recordFor(nginx, path);
      expect(record).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, incomingFormat: 'b3' });
      expect(headerValues(upstream!, 'b3')).toEqual([`${TRACE}-${record.clientSpanId}-1-${record.spanId}`]);
      expect(header(upstream!, 'traceparent')).toBeUndefined();
    });

    it('left-pads a 64-bit trace id', async () => {
      const path = uniquePath('b3');
      await get(nginx, path, { b3: `${TRACE64}-${PARENT}-1` });
      expect((await recordFor(nginx, path)).traceId).toBe(`0000000000000000${TRACE64}`);
    });

    it('propagates debug as d and a deny as 0 (and records nothing for the deny)', async () => {
      const debug = await get(nginx, uniquePath('b3'), { b3: `${TRACE}-${PARENT}-d` });
      expect(header(debug.upstream!, 'b3')).toMatch(/-d-[0-9a-f]{16}$/);
      const deny = await get(nginx, uniquePath('b3'), { b3: '0' });
      expect(header(deny.upstream!, 'b3')).toMatch(/^[0-9a-f]{32}-[0-9a-f]{16}-0-[0-9a-f]{16}$/);
    });

    it('turns b3 into traceparent when only W3C is injected', async () => {
      const { upstream } = await get(nginx, uniquePath('b3-to-w3c'), { b3: `${TRACE}-${PARENT}-0` });
      expect(header(upstream!, 'traceparent')).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
      // b3 is not ours to inject here: it passes through untouched.
      expect(header(upstream!, 'b3')).toBe(`${TRACE}-${PARENT}-0`);
    });
  });

  describe('B3 multiple headers', () => {
    it('continues X-B3-* and replaces every one of them', async () => {
      const path = uniquePath('b3multi');
      const { upstream } = await get(nginx, path, {
        'X-B3-TraceId': TRACE,
        'X-B3-SpanId': PARENT,
        'X-B3-ParentSpanId': '1111111111111111',
        'X-B3-Sampled': '1',
      });
      const record = await recordFor(nginx, path);
      expect(record).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, incomingFormat: 'b3multi' });
      expect(headerValues(upstream!, 'x-b3-traceid')).toEqual([TRACE]);
      expect(headerValues(upstream!, 'x-b3-spanid')).toEqual([record.clientSpanId]);
      expect(headerValues(upstream!, 'x-b3-parentspanid')).toEqual([record.spanId]);
      expect(headerValues(upstream!, 'x-b3-sampled')).toEqual(['1']);
      expect(header(upstream!, 'x-b3-flags')).toBeUndefined();
    });

    it('sends X-B3-Flags: 1 and no X-B3-Sampled for debug', async () => {
      const { upstream } = await get(nginx, uniquePath('b3multi'), {
        'X-B3-TraceId': TRACE,
        'X-B3-SpanId': PARENT,
        'X-B3-Flags': '1',
      });
      expect(header(upstream!, 'x-b3-flags')).toBe('1');
      expect(header(upstream!, 'x-b3-sampled')).toBeUndefined();
    });
  });

  describe('Jaeger uber-trace-id', () => {
    it('continues a short-id context and injects trace:span:parent:flags', async () => {
      const path = uniquePath('jaeger');
      const { upstream } = await get(nginx, path, { 'uber-trace-id': 'abc:def:0:1' });
      const record = await recordFor(nginx, path);
      expect(record).toMatchObject({
        traceId: '00000000000000000000000000000abc',
        parentSpanId: '0000000000000def',
        incomingFormat: 'jaeger',
      });
      expect(headerValues(upstream!, 'uber-trace-id')).toEqual([
        `00000000000000000000000000000abc:${record.clientSpanId}:${record.spanId}:1`,
      ]);
    });

    it('accepts the URL-encoded form and propagates debug as 3', async () => {
      const { upstream } = await get(nginx, uniquePath('jaeger'), { 'uber-trace-id': `${TRACE}%3A${PARENT}%3A0%3A3` });
      expect(header(upstream!, 'uber-trace-id')).toMatch(new RegExp(`^${TRACE}:[0-9a-f]{16}:[0-9a-f]{16}:3$`));
    });
  });

  describe('several formats', () => {
    it('injects every configured format with the same ids', async () => {
      const path = uniquePath('all');
      const { upstream } = await get(nginx, path, { 'uber-trace-id': `${TRACE}:${PARENT}:0:1` });
      const r = await recordFor(nginx, path);
      expect(header(upstream!, 'traceparent')).toBe(`00-${TRACE}-${r.clientSpanId}-01`);
      expect(header(upstream!, 'b3')).toBe(`${TRACE}-${r.clientSpanId}-1-${r.spanId}`);
      expect(header(upstream!, 'x-b3-traceid')).toBe(TRACE);
      expect(header(upstream!, 'uber-trace-id')).toBe(`${TRACE}:${r.clientSpanId}:${r.spanId}:1`);
    });

    it('takes the first valid context in the configured order and names the invalid ones', async () => {
      const path = uniquePath('all');
      await get(nginx, path, {
        traceparent: 'not-a-traceparent',
        b3: `${TRACE}-${PARENT}-1`,
        'uber-trace-id': '1111:2222:0:1',
      });
      const record = await recordFor(nginx, path);
      expect(record).toMatchObject({ traceId: TRACE, incomingFormat: 'b3', rejectedHeaders: ['traceparent'] });
    });

    it('injects the format the context came in when inject is "same"', async () => {
      const jaeger = await get(nginx, uniquePath('same'), { 'uber-trace-id': `${TRACE}:${PARENT}:0:1` });
      expect(header(jaeger.upstream!, 'uber-trace-id')).toMatch(new RegExp(`^${TRACE}:`));
      expect(header(jaeger.upstream!, 'traceparent')).toBeUndefined();
      const fresh = await get(nginx, uniquePath('same'));
      expect(header(fresh.upstream!, 'traceparent')).toMatch(/^00-/);
    });
  });

  describe('switches and variables', () => {
    it('changes nothing when tracing is off for the location', async () => {
      const path = uniquePath('off');
      const sent = { traceparent: `00-${TRACE}-${PARENT}-01`, b3: 'garbage' };
      const { upstream } = await get(nginx, path, sent);
      expect(header(upstream!, 'traceparent')).toBe(sent.traceparent);
      expect(header(upstream!, 'b3')).toBe('garbage');
    });

    it('leaves locations without the include untouched', async () => {
      const { upstream } = await get(nginx, uniquePath('untraced'), { traceparent: 'anything' });
      expect(header(upstream!, 'traceparent')).toBe('anything');
    });

    it('exposes the context in $tracing_ variables for log correlation', async () => {
      const path = uniquePath('vars');
      const { headers } = await get(nginx, path, { traceparent: `00-${TRACE}-${PARENT}-01` });
      const record = await recordFor(nginx, path);
      expect(headers['x-trace-id']).toBe(TRACE);
      expect(headers['x-span-id']).toBe(record.spanId);
      expect(headers['x-traceparent']).toBe(`00-${TRACE}-${record.spanId}-01`);
      expect(headers['x-sampled']).toBe('1');
    });

    it('returns traceresponse only where it is switched on', async () => {
      const on = await get(nginx, uniquePath('traceresponse'));
      expect(on.headers.traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
      expect(on.headers.traceresponse).toContain(header(on.upstream!, 'traceparent')!.slice(3, 35));
      const off = await get(nginx, uniquePath('traceresponse-off'));
      expect(off.headers.traceresponse).toBeUndefined();
    });

    it('ids are lowercase hex of the right length everywhere', async () => {
      const path = uniquePath('default');
      await get(nginx, path);
      const record = await recordFor(nginx, path);
      expect(record.traceId).toMatch(HEX32);
      expect(record.spanId).toMatch(HEX16);
      expect(record.clientSpanId).toMatch(HEX16);
    });
  });
});
