import { describe, expect, it } from 'vitest';
import { TRACEPARENT, parseTraceparent } from '../../../src/njs/propagation/w3c';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const tp = (flags: string, version = '00') => `${version}-${TRACE_ID}-${SPAN_ID}-${flags}`;

describe('parseTraceparent accepts valid traceparent values', () => {
  it('exports the lowercase header name', () => {
    expect(TRACEPARENT).toBe('traceparent');
  });

  it('reads a sampled version-00 header into every field', () => {
    expect(parseTraceparent(tp('01'))).toEqual({
      format: 'w3c',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampling: 'sampled',
      randomTraceId: false,
      traceState: '',
    });
  });

  it('reads flags 00 as an unsampled, non-random context', () => {
    expect(parseTraceparent(tp('00'))).toEqual({
      format: 'w3c', traceId: TRACE_ID, spanId: SPAN_ID, sampling: 'unsampled', randomTraceId: false, traceState: '',
    });
  });

  it('reads the Level 2 random-trace-id flag (02) without the sampled bit', () => {
    expect(parseTraceparent(tp('02'))).toEqual({
      format: 'w3c', traceId: TRACE_ID, spanId: SPAN_ID, sampling: 'unsampled', randomTraceId: true, traceState: '',
    });
  });

  it('reads flags 03 as sampled and random', () => {
    const r = parseTraceparent(tp('03'));
    expect(r?.sampling).toBe('sampled');
    expect(r?.randomTraceId).toBe(true);
  });

  it('masks flag bits instead of comparing the byte (09 is sampled, not random)', () => {
    const r = parseTraceparent(tp('09'));
    expect(r?.sampling).toBe('sampled');
    expect(r?.randomTraceId).toBe(false);
  });

  it('ignores unknown flag bits (fc has neither sampled nor random set)', () => {
    const r = parseTraceparent(tp('fc'));
    expect(r?.sampling).toBe('unsampled');
    expect(r?.randomTraceId).toBe(false);
  });

  it('accepts trace and parent ids with leading zeros as long as they are not all zeros', () => {
    const v = '00-00000000000000000000000000000001-0000000000000001-01';
    expect(parseTraceparent(v)).toMatchObject({ traceId: '00000000000000000000000000000001', spanId: '0000000000000001' });
  });

  it('parses a higher version of exactly 55 characters like version 00', () => {
    expect(parseTraceparent(tp('01', '01'))).toEqual({
      format: 'w3c', traceId: TRACE_ID, spanId: SPAN_ID, sampling: 'sampled', randomTraceId: false, traceState: '',
    });
  });

  it('ignores future fields after a dash in a higher version', () => {
    expect(parseTraceparent(`${tp('03', 'cc')}-what-the-future-will-be-like`)).toEqual({
      format: 'w3c', traceId: TRACE_ID, spanId: SPAN_ID, sampling: 'sampled', randomTraceId: true, traceState: '',
    });
  });

  // RFC 9110 5.5: "a field value does not include leading or trailing whitespace";
  // the current W3C suite (test_traceparent_ows_handling) sends each of these.
  it.each([
    { name: 'leadingSpace', value: ` ${tp('01')}` },
    { name: 'leadingTab', value: `\t${tp('01')}` },
    { name: 'trailingSpace', value: `${tp('01')} ` },
    { name: 'trailingTab', value: `${tp('01')}\t` },
    { name: 'tabsAndSpacesAround', value: `\t ${tp('01')} \t` },
    { name: 'eightKilobytesOfOwsAround', value: `${' \t'.repeat(2048)}${tp('01')}${'\t '.repeat(2048)}` },
    { name: 'futureVersionWithOwsAround', value: ` \t${tp('01', 'cc')}-future\t ` },
    { name: 'futureVersionWithoutFieldsAndOws', value: `${tp('01', 'cc')}  ` },
  ])('continues a traceparent with OWS around it: $name', ({ value }) => {
    expect(parseTraceparent(value)).toEqual({
      format: 'w3c', traceId: TRACE_ID, spanId: SPAN_ID, sampling: 'sampled', randomTraceId: false, traceState: '',
    });
  });

  it('accepts version fe, the highest allowed version', () => {
    expect(parseTraceparent(`${tp('00', 'fe')}-`)?.sampling).toBe('unsampled');
  });
});

// Every case here must make the parser return null.
const INVALID: Array<{ name: string; value: string }> = [
  { name: 'emptyValue', value: '' },
  { name: 'traceIdAllZeros', value: `00-${'0'.repeat(32)}-${SPAN_ID}-01` },
  { name: 'parentIdAllZeros', value: `00-${TRACE_ID}-${'0'.repeat(16)}-01` },
  { name: 'versionFF', value: tp('01', 'ff') },
  { name: 'versionFFWithFutureField', value: `${tp('01', 'ff')}-x` },
  { name: 'uppercaseHexTraceId', value: `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01` },
  { name: 'uppercaseHexParentId', value: `00-${TRACE_ID}-00F067AA0BA902B7-01` },
  { name: 'uppercaseHexFlags', value: tp('0A') },
  { name: 'uppercaseHexVersion', value: tp('01', '0A') },
  { name: 'nonHexVersion', value: tp('01', 'g0') },
  { name: 'nonHexTraceId', value: `00-${TRACE_ID.slice(0, 31)}g-${SPAN_ID}-01` },
  { name: 'nonHexParentId', value: `00-${TRACE_ID}-${SPAN_ID.slice(0, 15)}z-01` },
  { name: 'nonHexFlags', value: tp('0g') },
  { name: 'tooShort', value: tp('01').slice(0, 54) },
  { name: 'oneCharFlags', value: `00-${TRACE_ID}-${SPAN_ID}-1` },
  { name: 'tooLong00', value: `${tp('01')}0` },
  { name: 'version00WithFutureField', value: `${tp('01')}-extra` },
  { name: 'futureVersionNoDash', value: `${tp('01', '01')}x` },
  { name: 'futureVersionLongFlags', value: `${tp('01', '01')}1-x` },
  { name: 'futureVersionTooShort', value: `01-${TRACE_ID}-${SPAN_ID}-1` },
  { name: 'futureVersionWhitespaceInFutureField', value: `${tp('01', '01')}-a b` },
  { name: 'traceIdTooShort', value: `00-${TRACE_ID.slice(1)}-${SPAN_ID}0-01` },
  { name: 'traceIdTooLong', value: `00-${TRACE_ID}0-${SPAN_ID.slice(1)}-01` },
  { name: 'wrongDelimiter', value: `00_${TRACE_ID}_${SPAN_ID}_01` },
  { name: 'spaceInside', value: `00-${TRACE_ID}- ${SPAN_ID.slice(1)}-01` },
  { name: 'leadingSpaceEatingTheVersion', value: ` ${tp('01').slice(1)}` },
  { name: 'trailingSpaceEatingTheFlags', value: `${tp('01').slice(0, 54)} ` },
  { name: 'owsBeforeAFutureField', value: `${tp('01', 'cc')} -x` },
  { name: 'owsAfterAFutureFieldThenMore', value: `${tp('01', 'cc')}-x \ty` },
  { name: 'version00WithOwsThenFutureField', value: `${tp('01')}\t-x` },
  { name: 'leadingCarriageReturn', value: `\r${tp('01')}` },
  { name: 'trailingVerticalTab', value: `${tp('01')}\u000b` },
  { name: 'leadingNoBreakSpace', value: `\u00a0${tp('01')}` },
  { name: 'trailingFormFeed', value: `${tp('01')}\f` },
  { name: 'eightKilobytesOfOwsThenGarbage', value: `${' \t'.repeat(4096)}x${tp('01')}` },
  { name: 'tabInside', value: `00-${TRACE_ID}-${SPAN_ID}-\t1` },
  { name: 'crlfInjected', value: `${tp('01')}\r\nx-evil: 1` },
  { name: 'trailingNewline', value: `${tp('01', '01')}\n` },
  { name: 'trailingCrlfFutureVersion', value: `${tp('01', '01')}-\r\n` },
  { name: 'nulInjected', value: `00-${TRACE_ID}-${SPAN_ID}-0\u0000` },
  { name: 'unicodeDigit', value: `00-${TRACE_ID.slice(0, 31)}\u0661-${SPAN_ID}-01` },
  { name: 'unicodeFullwidthHex', value: `00-${TRACE_ID.slice(0, 31)}\uff41-${SPAN_ID}-01` },
  { name: 'twoHeadersJoined', value: `${tp('01')}, ${tp('00')}` },
  { name: 'eightKilobytes', value: `${tp('01')}${'a'.repeat(8192)}` },
  { name: 'eightKilobytesFutureVersion', value: `${tp('01', '01')}\u0000${'-'.repeat(8192)}` },
  { name: 'b3Value', value: `${TRACE_ID}-${SPAN_ID}-1` },
];

describe('parseTraceparent rejects invalid traceparent values', () => {
  it.each(INVALID)('returns null for $name', ({ value }) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  it('returns null instead of throwing for a non-string value', () => {
    expect(parseTraceparent(undefined as unknown as string)).toBeNull();
  });
});
