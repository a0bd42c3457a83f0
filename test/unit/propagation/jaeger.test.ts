import { describe, expect, it } from 'vitest';
import { UBER_TRACE_ID, parseUberTraceId } from '../../../src/njs/propagation/jaeger';

const TRACE_128 = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_64 = 'a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const full = (traceId: string, spanId: string, sampling: string) => ({
  format: 'jaeger', traceId, spanId, sampling, randomTraceId: false, traceState: '',
});

describe('parseUberTraceId accepts valid uber-trace-id values', () => {
  it('exports the lowercase header name', () => {
    expect(UBER_TRACE_ID).toBe('uber-trace-id');
  });

  it('reads a 128-bit sampled context into every field', () => {
    expect(parseUberTraceId(`${TRACE_128}:${SPAN}:0:1`)).toEqual(full(TRACE_128, SPAN, 'sampled'));
  });

  it('left-pads a 64-bit trace id to 32 hex', () => {
    expect(parseUberTraceId(`${TRACE_64}:${SPAN}:0:01`)).toEqual(full(`${'0'.repeat(16)}${TRACE_64}`, SPAN, 'sampled'));
  });

  it('left-pads short trace and span ids whose leading zeros were dropped', () => {
    expect(parseUberTraceId('abc:de:0:1')).toEqual(full(`${'0'.repeat(29)}abc`, `${'0'.repeat(14)}de`, 'sampled'));
  });

  it('lowercases uppercase hex', () => {
    expect(parseUberTraceId(`${TRACE_128.toUpperCase()}:${SPAN.toUpperCase()}:ABC:0A`)).toEqual(full(TRACE_128, SPAN, 'debug'));
  });

  it('validates and then ignores a non-zero parent span id', () => {
    expect(parseUberTraceId(`${TRACE_128}:${SPAN}:a24a01cc64da7956:1`)).toEqual(full(TRACE_128, SPAN, 'sampled'));
  });

  it.each([
    { name: 'upper %3A', value: `${TRACE_128}%3A${SPAN}%3A0%3A1` },
    { name: 'lower %3a', value: `${TRACE_128}%3a${SPAN}%3a0%3a1` },
    { name: 'mixed separators', value: `${TRACE_128}%3a${SPAN}:0%3A1` },
  ])('decodes URL-encoded colons ($name)', ({ value }) => {
    expect(parseUberTraceId(value)).toEqual(full(TRACE_128, SPAN, 'sampled'));
  });

  it.each([
    { flags: '0', sampling: 'unsampled' },
    { flags: '00', sampling: 'unsampled' },
    { flags: '1', sampling: 'sampled' },
    { flags: '3', sampling: 'debug' },
    { flags: '2', sampling: 'debug' },
    { flags: '5', sampling: 'sampled' },
    { flags: '8', sampling: 'unsampled' },
    { flags: 'ff', sampling: 'debug' },
  ])('reads flags $flags as $sampling', ({ flags, sampling }) => {
    expect(parseUberTraceId(`${TRACE_128}:${SPAN}:0:${flags}`)?.sampling).toBe(sampling);
  });
});

const INVALID: Array<{ name: string; value: string }> = [
  { name: 'emptyValue', value: '' },
  { name: 'traceIdZero', value: `0:${SPAN}:0:1` },
  { name: 'traceIdAllZeros', value: `${'0'.repeat(32)}:${SPAN}:0:1` },
  { name: 'spanIdAllZeros', value: `${TRACE_128}:${'0'.repeat(16)}:0:1` },
  { name: 'traceIdTooLong', value: `${TRACE_128}0:${SPAN}:0:1` },
  { name: 'spanIdTooLong', value: `${TRACE_128}:${SPAN}0:0:1` },
  { name: 'parentSpanIdTooLong', value: `${TRACE_128}:${SPAN}:${SPAN}0:1` },
  { name: 'flagsTooLong', value: `${TRACE_128}:${SPAN}:0:001` },
  { name: 'emptyTraceId', value: `:${SPAN}:0:1` },
  { name: 'emptySpanId', value: `${TRACE_128}::0:1` },
  { name: 'emptyParentSpanId', value: `${TRACE_128}:${SPAN}::1` },
  { name: 'emptyFlags', value: `${TRACE_128}:${SPAN}:0:` },
  { name: 'threeFields', value: `${TRACE_128}:${SPAN}:1` },
  { name: 'fiveFields', value: `${TRACE_128}:${SPAN}:0:1:0` },
  { name: 'nonHexTraceId', value: `xyz:${SPAN}:0:1` },
  { name: 'nonHexFlags', value: `${TRACE_128}:${SPAN}:0:g` },
  { name: 'hexPrefix', value: `0x${TRACE_64}:${SPAN}:0:1` },
  { name: 'negativeFlags', value: `${TRACE_128}:${SPAN}:0:-1` },
  { name: 'otherPercentEncoding', value: `${TRACE_128}%3A${SPAN}%3A0%2D1` },
  { name: 'truncatedPercentEncoding', value: `${TRACE_128}%3${SPAN}:0:1` },
  { name: 'doubleEncodedColon', value: `${TRACE_128}%253A${SPAN}:0:1` },
  { name: 'spaceInside', value: `${TRACE_128}: ${SPAN.slice(1)}:0:1` },
  { name: 'spaceSeparated', value: `${TRACE_128} ${SPAN} 0 1` },
  { name: 'crlfInjected', value: `${TRACE_128}:${SPAN}:0:1\r\nx-evil: 1` },
  { name: 'trailingNewline', value: `${TRACE_128}:${SPAN}:0:1\n` },
  { name: 'nulInjected', value: `${TRACE_128}:${SPAN}:0\u0000:1` },
  { name: 'unicodeDigit', value: `${TRACE_64}:${SPAN}:0:\u0661` },
  { name: 'unicodeFullwidthHex', value: `${TRACE_64}\uff41:${SPAN}:0:1` },
  { name: 'eightKilobytes', value: `${TRACE_128}:${SPAN}:0:1`.repeat(120) },
  { name: 'eightKilobytesOfEncodedColons', value: '%3A'.repeat(2731) },
];

describe('parseUberTraceId rejects invalid uber-trace-id values', () => {
  it.each(INVALID)('returns null for $name', ({ value }) => {
    expect(parseUberTraceId(value)).toBeNull();
  });

  it('returns null instead of throwing for a non-string value', () => {
    expect(parseUberTraceId(42 as unknown as string)).toBeNull();
  });
});
