import { describe, expect, it } from 'vitest';
import { decide } from '../../src/njs/decide.js';
import type { Knobs } from '../../src/njs/knobs.js';
import type { ExtractResult } from '../../src/njs/propagation/extract.js';
import type { Extracted } from '../../src/njs/propagation/types.js';
import { fallbackLine, resultLine, traceFlags } from '../../src/njs/result-line.js';

const REQUEST_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const knobs = (overrides: Partial<Knobs> = {}): Knobs => ({
  extract: ['w3c'],
  trustIncoming: true,
  sampler: 'parentbased_traceidratio',
  ratio: 1,
  invalid: [],
  ...overrides,
});
const incoming = (overrides: Partial<Extracted> = {}): Extracted => ({
  format: 'w3c',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  sampling: 'sampled',
  randomTraceId: false,
  traceState: 'congo=t61rcWkgMzE',
  ...overrides,
});
const found = (context: Extracted | null, decisionOnly: Extracted | null = null, rejected: string[] = []): ExtractResult => ({
  context,
  decisionOnly,
  rejected,
});

describe('decide', () => {
  it('starts a sampled, random new trace from $request_id when nothing came in', () => {
    const d = decide(found(null), knobs(), REQUEST_ID);
    expect(d).toMatchObject({ traceId: REQUEST_ID, parentId: '', sampled: true, randomTraceId: true, format: '' });
  });

  it('continues a trusted context with its ids, flags and tracestate', () => {
    const d = decide(found(incoming()), knobs(), REQUEST_ID);
    expect(d).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentId: 'b7ad6b7169203331',
      sampled: true,
      randomTraceId: false,
      traceState: 'congo=t61rcWkgMzE',
      format: 'w3c',
      linkTraceId: '',
    });
  });

  it('honours an unsampled parent even at ratio 1', () => {
    expect(decide(found(incoming({ sampling: 'unsampled' })), knobs(), REQUEST_ID).sampled).toBe(false);
  });

  it('lets a deferred parent be decided by the ratio on the trace id', () => {
    const deferred = incoming({ sampling: 'deferred', traceId: 'ffffffffffffffffff00000000000001' });
    expect(decide(found(deferred), knobs({ ratio: 0.5 }), REQUEST_ID).sampled).toBe(false);
    expect(decide(found(deferred), knobs({ ratio: 1 }), REQUEST_ID).sampled).toBe(true);
  });

  it('forces sampling for a debug parent, even with always_off', () => {
    const d = decide(found(incoming({ format: 'b3', sampling: 'debug' })), knobs({ sampler: 'always_off' }), REQUEST_ID);
    expect(d).toMatchObject({ sampled: true, debug: true });
  });

  it('applies a sampling decision that came without ids to the new trace', () => {
    const deny = incoming({ format: 'b3', traceId: '', spanId: '', sampling: 'unsampled' });
    const d = decide(found(null, deny), knobs(), REQUEST_ID);
    expect(d).toMatchObject({ traceId: REQUEST_ID, parentId: '', sampled: false, format: '' });
  });

  it('starts a new trace and links the incoming one when incoming context is distrusted', () => {
    const d = decide(found(incoming({ sampling: 'debug' })), knobs({ trustIncoming: false, ratio: 0 }), REQUEST_ID);
    expect(d).toMatchObject({
      traceId: REQUEST_ID,
      parentId: '',
      sampled: false,
      debug: false,
      traceState: '',
      linkTraceId: '0af7651916cd43dd8448eb211c80319c',
      linkSpanId: 'b7ad6b7169203331',
      format: '',
    });
  });

  it('passes rejected headers through and flags invalid knobs as a config error', () => {
    const d = decide(found(null, null, ['traceparent', 'b3']), knobs({ invalid: ['tracing_sampler'] }), REQUEST_ID);
    expect(d.rejected).toEqual(['traceparent', 'b3']);
    expect(d.error).toBe('config');
  });
});

describe('resultLine', () => {
  it('writes every field in the order tracing-http.conf splits them', () => {
    const d = decide(found(incoming(), null, ['b3']), knobs(), REQUEST_ID);
    expect(resultLine(d)).toBe(
      '0af7651916cd43dd8448eb211c80319c b7ad6b7169203331 01 - - w3c b3 0 - congo=t61rcWkgMzE',
    );
  });

  it('keeps spaces inside tracestate values in the last field', () => {
    const d = decide(found(incoming({ traceState: 'a=x y,b=z' })), knobs(), REQUEST_ID);
    expect(resultLine(d).endsWith(' a=x y,b=z')).toBe(true);
  });

  it('falls back to an unsampled new trace that names the error', () => {
    expect(fallbackLine(REQUEST_ID, 'exception')).toBe(`${REQUEST_ID} - 02 - - - - 0 exception -`);
  });

  it('encodes sampled and random-trace-id as W3C flags', () => {
    expect([traceFlags(false, false), traceFlags(true, false), traceFlags(false, true), traceFlags(true, true)]).toEqual([
      '00',
      '01',
      '02',
      '03',
    ]);
  });
});
