import { describe, expect, it } from 'vitest';
import { LONG_MEMBER, MAX_LENGTH, MAX_MEMBERS, TRACESTATE, normalizeTraceState } from '../../../src/njs/propagation/tracestate';

/** A list-member `key=xxx…` of exactly `length` characters. */
const member = (key: string, length: number) => `${key}=${'x'.repeat(length - key.length - 1)}`;

describe('normalizeTraceState keeps valid list-members', () => {
  it('exports the header name and the spec limits', () => {
    expect(TRACESTATE).toBe('tracestate');
    expect([MAX_MEMBERS, MAX_LENGTH, LONG_MEMBER]).toEqual([32, 512, 128]);
  });

  it('returns a single valid member unchanged', () => {
    expect(normalizeTraceState('congo=t61rcWkgMzE')).toBe('congo=t61rcWkgMzE');
  });

  it('keeps members in their original order', () => {
    expect(normalizeTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('drops spaces and tabs around members', () => {
    expect(normalizeTraceState(' \ta=1 ,\t b=2 \t')).toBe('a=1,b=2');
  });

  it('ignores empty and whitespace-only members', () => {
    expect(normalizeTraceState(',a=1,, ,\t,b=2,')).toBe('a=1,b=2');
  });

  it('joins several header values that arrive comma-joined', () => {
    expect(normalizeTraceState(['a=1', 'b=2, c=3', ''].join(','))).toBe('a=1,b=2,c=3');
  });

  it('accepts multi-tenant keys', () => {
    expect(normalizeTraceState('fw529a3039@dt=FW4;0;0;0;0;0;0,1tenant@sys_-*/9=v')).toBe(
      'fw529a3039@dt=FW4;0;0;0;0;0;0,1tenant@sys_-*/9=v',
    );
  });

  it('accepts every printable character except comma and equals in a value', () => {
    const value = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))
      .filter((c) => c !== ',' && c !== '=')
      .join('');
    expect(normalizeTraceState(`k=${value}`)).toBe(`k=${value}`);
  });

  it('keeps leading spaces of a value and drops trailing ones as OWS', () => {
    expect(normalizeTraceState('a=  b c  ,b=1')).toBe('a=  b c,b=1');
  });

  it('accepts the longest simple key (256 chars) and the longest value (256 chars)', () => {
    const key = `a${'b'.repeat(255)}`;
    const value = 'v'.repeat(256);
    expect(normalizeTraceState(`${key}=1`)).toBe(`${key}=1`);
    expect(normalizeTraceState(`k=${value}`)).toBe(`k=${value}`);
  });

  it('accepts the longest tenant id (241 chars) and system id (14 chars)', () => {
    const key = `${'t'.repeat(241)}@${'s'.repeat(14)}`;
    expect(normalizeTraceState(`${key}=1`)).toBe(`${key}=1`);
  });

  it('keeps the first of duplicate keys and drops the later ones', () => {
    expect(normalizeTraceState('a=1,b=2,a=3,b=4,c=5')).toBe('a=1,b=2,c=5');
  });

  it('keeps a key whose name is an Object.prototype property', () => {
    expect(normalizeTraceState('constructor=1,tostring=2,constructor=3')).toBe('constructor=1,tostring=2');
  });

  it('keeps only the first 32 of 33 valid members', () => {
    const members = Array.from({ length: 33 }, (_, i) => `k${i}=v`);
    expect(normalizeTraceState(members.join(','))).toBe(members.slice(0, 32).join(','));
  });

  it('counts the 32 members after dropping invalid ones and duplicates', () => {
    const members = Array.from({ length: 40 }, (_, i) => `k${i}=v`);
    const input = ['BAD=1', members[0], 'k0=dup', ...members.slice(1)].join(',');
    expect(normalizeTraceState(input)).toBe(members.slice(0, 32).join(','));
  });

  it('keeps a list of exactly 512 characters', () => {
    const members = [member('a', 127), member('b', 127), member('c', 127), member('d', 128)];
    expect(members.join(',').length).toBe(512);
    expect(normalizeTraceState(members.join(','))).toBe(members.join(','));
  });

  it('removes members from the right to fit a 600-char list into 512', () => {
    const members = Array.from({ length: 6 }, (_, i) => member(`k${i}`, 99));
    expect(members.join(',').length).toBe(599);
    expect(normalizeTraceState(members.join(','))).toBe(members.slice(0, 5).join(','));
  });

  it('removes members longer than 128 chars first, rightmost first, only until the list fits', () => {
    const a = member('a', 60);
    const long1 = member('long1', 200);
    const b = member('b', 60);
    const long2 = member('long2', 200);
    const c = member('c', 60);
    expect([a, long1, b, long2, c].join(',').length).toBe(584);
    expect(normalizeTraceState([a, long1, b, long2, c].join(','))).toBe([a, long1, b, c].join(','));
  });

  it('removes from the right once no member longer than 128 chars is left', () => {
    const short = Array.from({ length: 6 }, (_, i) => member(`k${i}`, 100));
    const long = member('long', 129);
    expect(normalizeTraceState([long, ...short].join(','))).toBe(short.slice(0, 5).join(','));
  });

  it('truncates 32 maximal members to the leftmost one that fits in 512 chars', () => {
    const members = Array.from({ length: 32 }, (_, i) => `k${i}=${'v'.repeat(256)}`);
    expect(normalizeTraceState(members.join(','))).toBe(members[0]);
  });

  it('drops a single member that is longer than 512 chars on its own', () => {
    const key = `a${'b'.repeat(255)}`;
    expect(normalizeTraceState(`${key}=${'v'.repeat(256)}`)).toBe('');
  });
});

describe('normalizeTraceState returns an empty string when nothing valid remains', () => {
  it.each([
    { name: 'emptyValue', value: '' },
    { name: 'onlyCommasAndSpaces', value: ' , ,\t,' },
    { name: 'allMembersInvalid', value: 'A=1,b,=c' },
    { name: 'eightKilobyteValue', value: `a=${'x'.repeat(8190)}` },
    { name: 'eightKilobytesOfNul', value: '\u0000'.repeat(8192) },
  ])('returns "" for $name', ({ value }) => {
    expect(normalizeTraceState(value)).toBe('');
  });

  it('returns "" instead of throwing for a non-string value', () => {
    expect(normalizeTraceState(undefined as unknown as string)).toBe('');
  });
});

// Each bad member sits between two good ones: only it must go.
const INVALID_MEMBERS: Array<{ name: string; value: string }> = [
  { name: 'uppercaseKey', value: 'Congo=1' },
  { name: 'simpleKeyStartsWithDigit', value: '1abc=1' },
  { name: 'keyStartsWithUnderscore', value: '_a=1' },
  { name: 'keyWithDot', value: 'a.b=1' },
  { name: 'keyWithSpaceInside', value: 'a b=1' },
  { name: 'spaceBeforeEquals', value: 'a =1' },
  { name: 'emptyKey', value: '=1' },
  { name: 'emptyValue', value: 'a=' },
  { name: 'spaceOnlyValue', value: 'a=   ' },
  { name: 'noEquals', value: 'abc' },
  { name: 'doubleEquals', value: 'a==1' },
  { name: 'equalsInValue', value: 'a=b=c' },
  { name: 'simpleKeyTooLong', value: `a${'b'.repeat(256)}=1` },
  { name: 'tenantIdTooLong', value: `${'t'.repeat(242)}@s=1` },
  { name: 'systemIdTooLong', value: `t@${'s'.repeat(15)}=1` },
  { name: 'systemIdStartsWithDigit', value: 't@1s=1' },
  { name: 'emptySystemId', value: 't@=1' },
  { name: 'emptyTenantId', value: '@s=1' },
  { name: 'twoAtSigns', value: 'a@b@c=1' },
  { name: 'valueTooLong', value: `a=${'v'.repeat(257)}` },
  { name: 'tabInValue', value: 'a=b\tc' },
  { name: 'crlfInValue', value: 'a=b\r\nx-evil: 1' },
  { name: 'trailingNewline', value: 'a=b\n' },
  { name: 'nulInValue', value: 'a=b\u0000' },
  { name: 'delInValue', value: 'a=b\u007f' },
  { name: 'unicodeValue', value: 'a=caf\u00e9' },
  { name: 'unicodeKey', value: '\u00e9=1' },
  { name: 'eightKilobyteValue', value: `a=${'v'.repeat(8192)}` },
];

describe('normalizeTraceState drops invalid list-members and keeps the rest', () => {
  it.each(INVALID_MEMBERS)('drops the member $name', ({ value }) => {
    expect(normalizeTraceState(`good=1,${value},other=2`)).toBe('good=1,other=2');
  });

  it('splits a value that tries to smuggle a comma into two members', () => {
    expect(normalizeTraceState('a=b,c,d=e')).toBe('a=b,d=e');
  });

  it('cannot be made to forge a duplicate key through an embedded comma', () => {
    expect(normalizeTraceState('a=x,a=forged')).toBe('a=x');
  });

  it('scans past thousands of empty members to find a valid one', () => {
    expect(normalizeTraceState(`${','.repeat(8000)}a=1`)).toBe('a=1');
  });
});
