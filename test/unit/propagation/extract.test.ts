import { describe, expect, it } from 'vitest';
import {
  B3,
  TRACEPARENT,
  TRACESTATE,
  UBER_TRACE_ID,
  X_B3_FLAGS,
  X_B3_SAMPLED,
  X_B3_SPAN_ID,
  X_B3_TRACE_ID,
  extract,
} from '../../../src/njs/propagation/extract';
import type { Format } from '../../../src/njs/propagation/extract';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const OTHER_TRACE = '80f198ee56343ba864fe8b2a57d3eff7';
const OTHER_SPAN = 'e457b5a2e4d86bd1';
const ALL: Format[] = ['w3c', 'b3', 'b3multi', 'jaeger'];

/** A HeaderReader over a plain object that also records which names were read. */
function headers(values: Record<string, string>) {
  const read: string[] = [];
  const reader = (name: string) => {
    read.push(name);
    return values[name] ?? '';
  };
  return { reader, read };
}

describe('extract', () => {
  it('returns nothing and rejects nothing when no trace header is present', () => {
    expect(extract(ALL, headers({}).reader)).toEqual({ context: null, decisionOnly: null, rejected: [] });
  });

  it('returns a W3C context with its valid tracestate, OWS and empty members removed', () => {
    const h = headers({ [TRACEPARENT]: `00-${TRACE}-${SPAN}-03`, [TRACESTATE]: ' rojo=1 ,, congo=2\t' });
    expect(extract(['w3c'], h.reader)).toEqual({
      context: { format: 'w3c', traceId: TRACE, spanId: SPAN, sampling: 'sampled', randomTraceId: true, traceState: 'rojo=1,congo=2' },
      decisionOnly: null,
      rejected: [],
    });
  });

  it('does not read tracestate when traceparent is invalid', () => {
    const h = headers({ [TRACEPARENT]: `00-${TRACE}-${SPAN}-0x`, [TRACESTATE]: 'rojo=1' });
    expect(extract(['w3c'], h.reader)).toEqual({ context: null, decisionOnly: null, rejected: [TRACEPARENT] });
    expect(h.read).not.toContain(TRACESTATE);
  });

  it.each([
    { name: 'oneInvalidMember', tracestate: 'rojo=1,BAD=2,congo=3' },
    { name: 'keyStartingWithAt', tracestate: 'rojo=1,@congo=2' },
    { name: 'members33', tracestate: Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',') },
    { name: 'everyMemberInvalid', tracestate: 'A=1,b' },
  ])('drops a malformed tracestate ($name) whole, keeps the traceparent and rejects tracestate', ({ tracestate }) => {
    const h = headers({ [TRACEPARENT]: `00-${TRACE}-${SPAN}-01`, [TRACESTATE]: tracestate });
    expect(extract(['w3c'], h.reader)).toEqual({
      context: { format: 'w3c', traceId: TRACE, spanId: SPAN, sampling: 'sampled', randomTraceId: false, traceState: '' },
      decisionOnly: null,
      rejected: [TRACESTATE],
    });
  });

  it('keeps the traceparent of a malformed tracestate as the winning context, before later formats', () => {
    const h = headers({ [TRACEPARENT]: `00-${TRACE}-${SPAN}-01`, [TRACESTATE]: 'a=1,@a=2', [B3]: `${OTHER_TRACE}-${OTHER_SPAN}-1` });
    expect(extract(['w3c', 'b3'], h.reader)).toMatchObject({ context: { format: 'w3c', traceId: TRACE }, rejected: [TRACESTATE] });
    expect(h.read).toEqual([TRACEPARENT, TRACESTATE]);
  });

  it('propagates a tracestate with a repeated key, a continued traceparent with OWS around it', () => {
    const h = headers({ [TRACEPARENT]: `\t00-${TRACE}-${SPAN}-01 `, [TRACESTATE]: 'rojo=1,congo=2,rojo=3' });
    expect(extract(['w3c'], h.reader)).toEqual({
      context: { format: 'w3c', traceId: TRACE, spanId: SPAN, sampling: 'sampled', randomTraceId: false, traceState: 'rojo=1,congo=2,rojo=3' },
      decisionOnly: null,
      rejected: [],
    });
  });

  it.each([
    { name: 'commasAndSpaces', tracestate: ' , ,' },
    { name: 'oneMemberLongerThan512', tracestate: `a${'b'.repeat(255)}=${'v'.repeat(256)}` },
  ])('accepts a valid tracestate that leaves nothing to forward ($name) without rejecting it', ({ tracestate }) => {
    const h = headers({ [TRACEPARENT]: `00-${TRACE}-${SPAN}-01`, [TRACESTATE]: tracestate });
    expect(extract(['w3c'], h.reader)).toMatchObject({ context: { traceState: '' }, rejected: [] });
  });

  it('lets the first valid format in the configured order win', () => {
    const values = { [TRACEPARENT]: `00-${TRACE}-${SPAN}-01`, [B3]: `${OTHER_TRACE}-${OTHER_SPAN}-0` };
    expect(extract(['w3c', 'b3'], headers(values).reader).context).toMatchObject({ format: 'w3c', traceId: TRACE });
    expect(extract(['b3', 'w3c'], headers(values).reader).context).toMatchObject({ format: 'b3', traceId: OTHER_TRACE, sampling: 'unsampled' });
  });

  it('falls through an invalid header to a later valid format and still reports the invalid one', () => {
    const h = headers({ [TRACEPARENT]: `00-${TRACE.toUpperCase()}-${SPAN}-01`, [B3]: `${OTHER_TRACE}-${OTHER_SPAN}-1` });
    const r = extract(['w3c', 'b3'], h.reader);
    expect(r.context).toMatchObject({ format: 'b3', traceId: OTHER_TRACE, spanId: OTHER_SPAN, sampling: 'sampled' });
    expect(r.rejected).toEqual([TRACEPARENT]);
  });

  it('stops reading headers once a full context is found', () => {
    const h = headers({ [TRACEPARENT]: `00-${TRACE}-${SPAN}-01`, [B3]: 'garbage', [UBER_TRACE_ID]: 'garbage' });
    const r = extract(ALL, h.reader);
    expect(r.rejected).toEqual([]);
    expect(h.read).toEqual([TRACEPARENT, TRACESTATE]);
  });

  it('lists each present-but-invalid header once, lowercase, in the order tried', () => {
    const h = headers({ [TRACEPARENT]: 'x', [B3]: 'y', [UBER_TRACE_ID]: 'z' });
    expect(extract(['jaeger', 'w3c', 'b3', 'w3c'], h.reader)).toEqual({
      context: null,
      decisionOnly: null,
      rejected: [UBER_TRACE_ID, TRACEPARENT, B3],
    });
  });

  it('reports every present X-B3-* header when the set is invalid', () => {
    const h = headers({ [X_B3_TRACE_ID]: TRACE, [X_B3_SAMPLED]: '1' });
    expect(extract(['b3multi'], h.reader)).toEqual({ context: null, decisionOnly: null, rejected: [X_B3_TRACE_ID, X_B3_SAMPLED] });
  });

  it('reads X-B3-Flags other than "1" as absent: neither debug nor rejected', () => {
    expect(extract(['b3multi'], headers({ [X_B3_FLAGS]: '0' }).reader)).toEqual({ context: null, decisionOnly: null, rejected: [] });
    const withIds = headers({ [X_B3_TRACE_ID]: TRACE, [X_B3_SPAN_ID]: SPAN, [X_B3_FLAGS]: 'true' });
    expect(extract(['b3multi'], withIds.reader)).toMatchObject({ context: { format: 'b3multi', sampling: 'deferred' }, rejected: [] });
    const invalid = headers({ [X_B3_TRACE_ID]: 'bad', [X_B3_SPAN_ID]: SPAN, [X_B3_FLAGS]: '2' });
    expect(extract(['b3multi'], invalid.reader).rejected).toEqual([X_B3_TRACE_ID, X_B3_SPAN_ID]);
  });

  it('returns a B3 sampling-only header as decisionOnly when no full context exists', () => {
    expect(extract(ALL, headers({ [B3]: '0' }).reader)).toEqual({
      context: null,
      decisionOnly: { format: 'b3', traceId: '', spanId: '', sampling: 'unsampled', randomTraceId: false, traceState: '' },
      rejected: [],
    });
  });

  it('drops decisionOnly when a later format has a full context', () => {
    const h = headers({ [B3]: 'd', [UBER_TRACE_ID]: `${TRACE}:${SPAN}:0:0` });
    expect(extract(['b3', 'jaeger'], h.reader)).toEqual({
      context: { format: 'jaeger', traceId: TRACE, spanId: SPAN, sampling: 'unsampled', randomTraceId: false, traceState: '' },
      decisionOnly: null,
      rejected: [],
    });
  });

  it('keeps the first sampling-only result when several formats carry one', () => {
    const h = headers({ [X_B3_FLAGS]: '1', [B3]: '0' });
    expect(extract(['b3multi', 'b3'], h.reader).decisionOnly).toMatchObject({ format: 'b3multi', sampling: 'debug' });
  });

  it('ignores headers of formats that are not in the configured order', () => {
    const h = headers({ [UBER_TRACE_ID]: `${TRACE}:${SPAN}:0:1`, [X_B3_TRACE_ID]: 'bad' });
    expect(extract(['w3c', 'b3'], h.reader)).toEqual({ context: null, decisionOnly: null, rejected: [] });
    expect(h.read).not.toContain(UBER_TRACE_ID);
  });

  it('extracts each format on its own', () => {
    const cases: Array<[Format, Record<string, string>]> = [
      ['w3c', { [TRACEPARENT]: `00-${TRACE}-${SPAN}-01` }],
      ['b3', { [B3]: `${TRACE}-${SPAN}-1` }],
      ['b3multi', { [X_B3_TRACE_ID]: TRACE, [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: '1' }],
      ['jaeger', { [UBER_TRACE_ID]: `${TRACE}:${SPAN}:0:1` }],
    ];
    for (const [format, values] of cases) {
      expect(extract(ALL, headers(values).reader).context, format).toMatchObject({ format, traceId: TRACE, spanId: SPAN, sampling: 'sampled' });
    }
  });

  it('treats a reader that returns undefined for absent headers as absent', () => {
    const reader = (name: string) => (name === B3 ? `${TRACE}-${SPAN}` : (undefined as unknown as string));
    expect(extract(ALL, reader)).toMatchObject({ context: { format: 'b3', sampling: 'deferred' }, rejected: [] });
  });

  it('ignores unknown format names in the order', () => {
    const h = headers({ [B3]: '1' });
    expect(extract(['xray' as Format, 'b3'], h.reader).decisionOnly).toMatchObject({ format: 'b3', sampling: 'sampled' });
  });
});
