import { describe, expect, it } from 'vitest';
import {
  B3,
  B3_MULTI_HEADERS,
  X_B3_FLAGS,
  X_B3_PARENT_SPAN_ID,
  X_B3_SAMPLED,
  X_B3_SPAN_ID,
  X_B3_TRACE_ID,
  parseB3Multi,
  parseB3Single,
  presentB3MultiHeaders,
} from '../../../src/njs/propagation/b3';

const TRACE_128 = '80f198ee56343ba864fe8b2a57d3eff7';
const TRACE_64 = '463ac35c9f6413ad';
const SPAN = 'e457b5a2e4d86bd1';
const PARENT = '05e3ac9a4f6e3b90';
const ZEROS_16 = '0'.repeat(16);
const ZEROS_32 = '0'.repeat(32);

const full = (traceId: string, spanId: string, sampling: string, format = 'b3') => ({
  format, traceId, spanId, sampling, randomTraceId: false, traceState: '',
});
const decision = (sampling: string, format = 'b3') => full('', '', sampling, format);

describe('parseB3Single accepts valid b3 headers', () => {
  it('exports the lowercase header names', () => {
    expect(B3).toBe('b3');
    expect(B3_MULTI_HEADERS).toEqual([X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_FLAGS]);
    expect(B3_MULTI_HEADERS).toEqual(['x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags']);
  });

  it('reads trace and span ids without a sampling state as a deferred decision', () => {
    expect(parseB3Single(`${TRACE_128}-${SPAN}`)).toEqual(full(TRACE_128, SPAN, 'deferred'));
  });

  it('left-pads a 64-bit trace id with 16 zeros', () => {
    expect(parseB3Single(`${TRACE_64}-${SPAN}-1`)).toEqual(full(ZEROS_16 + TRACE_64, SPAN, 'sampled'));
  });

  it.each([
    { state: '1', sampling: 'sampled' },
    { state: '0', sampling: 'unsampled' },
    { state: 'd', sampling: 'debug' },
  ])('reads sampling state $state as $sampling', ({ state, sampling }) => {
    expect(parseB3Single(`${TRACE_128}-${SPAN}-${state}`)).toEqual(full(TRACE_128, SPAN, sampling));
  });

  it('validates and then ignores the parent span id', () => {
    expect(parseB3Single(`${TRACE_128}-${SPAN}-1-${PARENT}`)).toEqual(full(TRACE_128, SPAN, 'sampled'));
  });

  it('accepts a 128-bit trace id whose high half is zero', () => {
    expect(parseB3Single(`${ZEROS_16}${TRACE_64}-${SPAN}-0`)).toEqual(full(ZEROS_16 + TRACE_64, SPAN, 'unsampled'));
  });

  it.each([
    { state: '0', sampling: 'unsampled' },
    { state: '1', sampling: 'sampled' },
    { state: 'd', sampling: 'debug' },
  ])('reads a lone "$state" as a $sampling decision without ids', ({ state, sampling }) => {
    expect(parseB3Single(state)).toEqual(decision(sampling));
  });
});

const INVALID_SINGLE: Array<{ name: string; value: string }> = [
  { name: 'emptyValue', value: '' },
  { name: 'traceIdAllZeros64', value: `${ZEROS_16}-${SPAN}-1` },
  { name: 'traceIdAllZeros128', value: `${ZEROS_32}-${SPAN}-1` },
  { name: 'spanIdAllZeros', value: `${TRACE_128}-${ZEROS_16}-1` },
  { name: 'parentSpanIdAllZeros', value: `${TRACE_128}-${SPAN}-1-${ZEROS_16}` },
  { name: 'uppercaseHexTraceId', value: `${TRACE_128.toUpperCase()}-${SPAN}` },
  { name: 'uppercaseHexSpanId', value: `${TRACE_128}-${SPAN.toUpperCase()}` },
  { name: 'uppercaseDebugState', value: `${TRACE_128}-${SPAN}-D` },
  { name: 'uppercaseDecisionOnly', value: 'D' },
  { name: 'traceId24Hex', value: `${TRACE_128.slice(0, 24)}-${SPAN}` },
  { name: 'traceIdTooLong', value: `${TRACE_128}0-${SPAN}` },
  { name: 'spanIdTooShort', value: `${TRACE_128}-${SPAN.slice(1)}` },
  { name: 'spanIdTooLong', value: `${TRACE_128}-${SPAN}0` },
  { name: 'traceIdOnly', value: TRACE_128 },
  { name: 'unknownSamplingState', value: `${TRACE_128}-${SPAN}-2` },
  { name: 'samplingStateTrue', value: `${TRACE_128}-${SPAN}-true` },
  { name: 'decisionTrue', value: 'true' },
  { name: 'decisionTwoChars', value: '01' },
  { name: 'parentWithoutSamplingState', value: `${TRACE_128}-${SPAN}-${PARENT}` },
  { name: 'parentSpanIdTooShort', value: `${TRACE_128}-${SPAN}-1-${PARENT.slice(1)}` },
  { name: 'emptySamplingState', value: `${TRACE_128}-${SPAN}--${PARENT}` },
  { name: 'trailingDash', value: `${TRACE_128}-${SPAN}-` },
  { name: 'extraField', value: `${TRACE_128}-${SPAN}-1-${PARENT}-x` },
  { name: 'nonHexTraceId', value: `${TRACE_128.slice(0, 31)}g-${SPAN}` },
  { name: 'spaceInside', value: `${TRACE_128}- ${SPAN}` },
  { name: 'trailingSpace', value: `${TRACE_128}-${SPAN} ` },
  { name: 'crlfInjected', value: `${TRACE_128}-${SPAN}-1\r\nx-evil: 1` },
  { name: 'trailingNewline', value: `${TRACE_128}-${SPAN}-1\n` },
  { name: 'decisionTrailingNewline', value: '1\n' },
  { name: 'nulInjected', value: `${TRACE_128}-${SPAN}\u0000` },
  { name: 'unicodeDigit', value: `${TRACE_128}-${SPAN.slice(0, 15)}\u0661` },
  { name: 'traceparentValue', value: `00-${TRACE_128}-${SPAN}-01` },
  { name: 'eightKilobytes', value: `${TRACE_128}-${SPAN}-1-${PARENT}${'0'.repeat(8192)}` },
];

describe('parseB3Single rejects invalid b3 headers', () => {
  it.each(INVALID_SINGLE)('returns null for $name', ({ value }) => {
    expect(parseB3Single(value)).toBeNull();
  });

  it('returns null instead of throwing for a non-string value', () => {
    expect(parseB3Single(null as unknown as string)).toBeNull();
  });
});

const reader = (headers: Record<string, string>) => (name: string) => headers[name] ?? '';

describe('parseB3Multi accepts valid X-B3-* headers', () => {
  it('reads trace and span ids without X-B3-Sampled as a deferred decision', () => {
    expect(parseB3Multi(reader({ [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN }))).toEqual(
      full(TRACE_128, SPAN, 'deferred', 'b3multi'),
    );
  });

  it('left-pads a 64-bit trace id with 16 zeros', () => {
    expect(parseB3Multi(reader({ [X_B3_TRACE_ID]: TRACE_64, [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: '1' }))).toEqual(
      full(ZEROS_16 + TRACE_64, SPAN, 'sampled', 'b3multi'),
    );
  });

  it.each([
    { sampled: '1', sampling: 'sampled' },
    { sampled: '0', sampling: 'unsampled' },
    { sampled: 'true', sampling: 'sampled' },
    { sampled: 'false', sampling: 'unsampled' },
  ])('reads X-B3-Sampled: $sampled as $sampling', ({ sampled, sampling }) => {
    const headers = { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: sampled };
    expect(parseB3Multi(reader(headers))).toEqual(full(TRACE_128, SPAN, sampling, 'b3multi'));
  });

  it('reads X-B3-Flags: 1 as debug', () => {
    const headers = { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_FLAGS]: '1' };
    expect(parseB3Multi(reader(headers))).toEqual(full(TRACE_128, SPAN, 'debug', 'b3multi'));
  });

  it('lets debug win over X-B3-Sampled: 0, since debug implies accept', () => {
    const headers = { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: '0', [X_B3_FLAGS]: '1' };
    expect(parseB3Multi(reader(headers))?.sampling).toBe('debug');
  });

  it('validates and then ignores X-B3-ParentSpanId', () => {
    const headers = { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_PARENT_SPAN_ID]: PARENT, [X_B3_SAMPLED]: '1' };
    expect(parseB3Multi(reader(headers))).toEqual(full(TRACE_128, SPAN, 'sampled', 'b3multi'));
  });

  it.each([
    { sampled: '0', sampling: 'unsampled' },
    { sampled: '1', sampling: 'sampled' },
  ])('reads X-B3-Sampled: $sampled alone as a $sampling decision without ids', ({ sampled, sampling }) => {
    expect(parseB3Multi(reader({ [X_B3_SAMPLED]: sampled }))).toEqual(decision(sampling, 'b3multi'));
  });

  it('reads X-B3-Flags: 1 alone as a debug decision without ids', () => {
    expect(parseB3Multi(reader({ [X_B3_FLAGS]: '1' }))).toEqual(decision('debug', 'b3multi'));
  });
});

// Brave and Zipkin only test X-B3-Flags for "1": any other value is as if the header were absent.
const IGNORED_FLAGS: Array<{ name: string; flags: string }> = [
  { name: 'zero', flags: '0' },
  { name: 'two', flags: '2' },
  { name: 'debugLetter', flags: 'd' },
  { name: 'true', flags: 'true' },
  { name: 'oneWithSpace', flags: '1 ' },
  { name: 'oneTrailingNewline', flags: '1\n' },
  { name: 'oneJoinedTwice', flags: '1,1' },
  { name: 'crlfInjected', flags: '1\r\nx-evil: 1' },
  { name: 'eightKilobytes', flags: '1'.repeat(8192) },
];

describe('parseB3Multi reads X-B3-Flags other than "1" as absent', () => {
  it.each(IGNORED_FLAGS)('keeps the sampled decision with X-B3-Flags $name', ({ flags }) => {
    const headers = { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: '0', [X_B3_FLAGS]: flags };
    expect(parseB3Multi(reader(headers))).toEqual(full(TRACE_128, SPAN, 'unsampled', 'b3multi'));
  });

  it.each(IGNORED_FLAGS)('keeps a deferred decision with X-B3-Flags $name', ({ flags }) => {
    const headers = { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_FLAGS]: flags };
    expect(parseB3Multi(reader(headers))).toEqual(full(TRACE_128, SPAN, 'deferred', 'b3multi'));
  });

  it.each(IGNORED_FLAGS)('finds nothing in X-B3-Flags $name alone', ({ flags }) => {
    expect(parseB3Multi(reader({ [X_B3_FLAGS]: flags }))).toBeNull();
    expect(presentB3MultiHeaders(reader({ [X_B3_FLAGS]: flags }))).toEqual([]);
  });
});

describe('presentB3MultiHeaders', () => {
  it('lists the X-B3-* headers with a value, in header order, X-B3-Flags only as "1"', () => {
    const all = { [X_B3_FLAGS]: '1', [X_B3_SAMPLED]: 'x', [X_B3_PARENT_SPAN_ID]: 'x', [X_B3_SPAN_ID]: 'x', [X_B3_TRACE_ID]: 'x' };
    expect(presentB3MultiHeaders(reader(all))).toEqual(B3_MULTI_HEADERS);
    expect(presentB3MultiHeaders(reader({ ...all, [X_B3_FLAGS]: '0', [X_B3_SPAN_ID]: '' }))).toEqual([X_B3_TRACE_ID, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED]);
    expect(presentB3MultiHeaders(reader({}))).toEqual([]);
  });
});

const INVALID_MULTI: Array<{ name: string; headers: Record<string, string> }> = [
  { name: 'noHeaders', headers: {} },
  { name: 'traceIdWithoutSpanId', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SAMPLED]: '1' } },
  { name: 'spanIdWithoutTraceId', headers: { [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: '1' } },
  { name: 'traceIdAllZeros', headers: { [X_B3_TRACE_ID]: ZEROS_32, [X_B3_SPAN_ID]: SPAN } },
  { name: 'traceIdAllZeros64', headers: { [X_B3_TRACE_ID]: ZEROS_16, [X_B3_SPAN_ID]: SPAN } },
  { name: 'spanIdAllZeros', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: ZEROS_16 } },
  { name: 'parentSpanIdAllZeros', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_PARENT_SPAN_ID]: ZEROS_16 } },
  { name: 'uppercaseHexTraceId', headers: { [X_B3_TRACE_ID]: TRACE_128.toUpperCase(), [X_B3_SPAN_ID]: SPAN } },
  { name: 'traceId24Hex', headers: { [X_B3_TRACE_ID]: TRACE_128.slice(0, 24), [X_B3_SPAN_ID]: SPAN } },
  { name: 'spanIdTooLong', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: `${SPAN}0` } },
  { name: 'parentSpanIdNonHex', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_PARENT_SPAN_ID]: 'xyz' } },
  { name: 'parentSpanIdAlone', headers: { [X_B3_PARENT_SPAN_ID]: PARENT } },
  { name: 'parentSpanIdWithDecisionOnly', headers: { [X_B3_PARENT_SPAN_ID]: PARENT, [X_B3_SAMPLED]: '1' } },
  { name: 'sampledCapitalizedTrue', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: 'True' } },
  { name: 'sampledDebugLetter', headers: { [X_B3_SAMPLED]: 'd' } },
  { name: 'sampledTwo', headers: { [X_B3_SAMPLED]: '2' } },
  { name: 'flagsTwoAlone', headers: { [X_B3_FLAGS]: '2' } },
  { name: 'flagsTwoWithParentOnly', headers: { [X_B3_PARENT_SPAN_ID]: PARENT, [X_B3_FLAGS]: '2' } },
  { name: 'flagsOneWithInvalidSampled', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: SPAN, [X_B3_SAMPLED]: 'yes', [X_B3_FLAGS]: '1' } },
  { name: 'spaceInside', headers: { [X_B3_TRACE_ID]: `${TRACE_64} `, [X_B3_SPAN_ID]: SPAN } },
  { name: 'crlfInjected', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: `${SPAN}\r\nx-evil: 1` } },
  { name: 'trailingNewline', headers: { [X_B3_TRACE_ID]: `${TRACE_128}\n`, [X_B3_SPAN_ID]: SPAN } },
  { name: 'sampledTrailingNewline', headers: { [X_B3_SAMPLED]: '1\n' } },
  { name: 'nulInjected', headers: { [X_B3_TRACE_ID]: TRACE_128, [X_B3_SPAN_ID]: `${SPAN.slice(1)}\u0000` } },
  { name: 'unicodeDigit', headers: { [X_B3_TRACE_ID]: `${TRACE_64.slice(1)}\u0661`, [X_B3_SPAN_ID]: SPAN } },
  { name: 'eightKilobytes', headers: { [X_B3_TRACE_ID]: TRACE_128.repeat(256), [X_B3_SPAN_ID]: SPAN } },
];

describe('parseB3Multi rejects invalid X-B3-* headers', () => {
  it.each(INVALID_MULTI)('returns null for $name', ({ headers }) => {
    expect(parseB3Multi(reader(headers))).toBeNull();
  });
});
