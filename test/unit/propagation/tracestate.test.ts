import { describe, expect, it } from 'vitest';
import { LONG_MEMBER, MAX_LENGTH, MAX_MEMBERS, TRACESTATE, parseTraceState } from '../../../src/njs/propagation/tracestate';
import { LIST, NORMAL_LIST } from '../../../src/njs/propagation/w3c-grammar';

/** A list-member `key=xxx…` of exactly `length` characters. */
const member = (key: string, length: number) => `${key}=${'x'.repeat(length - key.length - 1)}`;
/** `count` list-members bar01=01, bar02=02, … as in the W3C suite's member-count test. */
const bars = (count: number) => Array.from({ length: count }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${String(i + 1).padStart(2, '0')}`);
/** Every value character, from the leading space (kept) to '~': test_tracestate_all_allowed_characters. */
const ALL_VALUE_CHARS = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((c) => c !== ',' && c !== '=')
  .join('');

describe('parseTraceState', () => {
  it('exports the header name and the spec limits', () => {
    expect(TRACESTATE).toBe('tracestate');
    expect([MAX_MEMBERS, MAX_LENGTH, LONG_MEMBER]).toEqual([32, 512, 128]);
  });

  it('returns "" instead of throwing for a non-string value', () => {
    expect(parseTraceState(undefined as unknown as string)).toBe('');
  });
});

// Valid lists: forwarded with OWS and empty list-members removed, otherwise as they came.
const VALID: Array<{ name: string; value: string; expected: string }> = [
  { name: 'singleMember', value: 'congo=t61rcWkgMzE', expected: 'congo=t61rcWkgMzE' },
  { name: 'twoMembersInOrder', value: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', expected: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' },
  // test_tracestate_ows_handling
  { name: 'owsAroundCommas', value: 'foo=1 \t , \t bar=2, \t baz=3', expected: 'foo=1,bar=2,baz=3' },
  { name: 'tabsAroundCommas', value: 'foo=1\t \t,\t \tbar=2,\t \tbaz=3', expected: 'foo=1,bar=2,baz=3' },
  { name: 'leadingSpace', value: ' foo=1', expected: 'foo=1' },
  { name: 'leadingTab', value: '\tfoo=1', expected: 'foo=1' },
  { name: 'trailingSpace', value: 'foo=1 ', expected: 'foo=1' },
  { name: 'trailingTab', value: 'foo=1\t', expected: 'foo=1' },
  { name: 'owsOnBothSides', value: '\t foo=1 \t', expected: 'foo=1' },
  // "Empty and whitespace-only list members are allowed."
  { name: 'emptyAndWhitespaceOnlyMembers', value: ',a=1,, ,\t,b=2,', expected: 'a=1,b=2' },
  { name: 'emptyValue', value: '', expected: '' },
  { name: 'onlyCommasAndOws', value: ' , ,\t,', expected: '' },
  { name: 'thousandsOfEmptyMembersThenOne', value: `${','.repeat(8000)}a=1`, expected: 'a=1' },
  // test_tracestate_multiple_headers_different_keys / test_tracestate_empty_header: values arrive comma-joined
  { name: 'threeHeadersJoined', value: ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'].join(','), expected: 'foo=1,bar=2,rojo=1,congo=2,baz=3' },
  { name: 'emptyHeaderAfterOne', value: ['foo=1', ''].join(','), expected: 'foo=1' },
  { name: 'emptyHeaderBeforeOne', value: ['', 'foo=1'].join(','), expected: 'foo=1' },
  // test_tracestate_all_allowed_characters
  { name: 'allKeyChars', value: 'abcdefghijklmnopqrstuvwxyz0123456789_-*/=1', expected: 'abcdefghijklmnopqrstuvwxyz0123456789_-*/=1' },
  { name: 'allKeyCharsWithVendor', value: 'abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/=1', expected: 'abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/=1' },
  { name: 'allValueChars', value: `k=${ALL_VALUE_CHARS}`, expected: `k=${ALL_VALUE_CHARS}` },
  { name: 'multiTenantKeys', value: 'fw529a3039@dt=FW4;0;0;0;0;0;0,1tenant@sys_-*/9=v', expected: 'fw529a3039@dt=FW4;0;0;0;0;0;0,1tenant@sys_-*/9=v' },
  // "all leading spaces MUST be preserved as part of the value and all trailing spaces are ... OWS"
  { name: 'valueLeadingSpacesKept', value: 'a=  b c  ,b=1', expected: 'a=  b c,b=1' },
  // test_tracestate_key_length_limit (valid halves)
  { name: 'simpleKey256', value: `foo=1,${'z'.repeat(256)}=1`, expected: `foo=1,${'z'.repeat(256)}=1` },
  { name: 'value256', value: `k=${'v'.repeat(256)}`, expected: `k=${'v'.repeat(256)}` },
  { name: 'prototypePropertyKeys', value: 'constructor=1,tostring=2,hasownproperty=3', expected: 'constructor=1,tostring=2,hasownproperty=3' },
  // test_tracestate_key_illegal_vendor_format: key = ( lcalpha / DIGIT ) 0*255 keychar, "@" is a keychar
  { name: 'keyEndingInAt', value: 'foo@=1,bar=2', expected: 'foo@=1,bar=2' },
  { name: 'keyWithDoubleAt', value: 'foo@@bar=1,bar=2', expected: 'foo@@bar=1,bar=2' },
  { name: 'keyWithTwoAts', value: 'foo@bar@baz=1,bar=2', expected: 'foo@bar@baz=1,bar=2' },
  { name: 'keyStartingWithDigit', value: '1abc=1,9=2', expected: '1abc=1,9=2' },
  { name: 'digitAfterAt', value: 't@1s=1', expected: 't@1s=1' },
  { name: 'oneCharKeyAndValue', value: 'a=b', expected: 'a=b' },
  // test_tracestate_key_length_limit: only the whole key's 256 characters count now
  { name: 'key256WithAtInside', value: `foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1`, expected: `foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1` },
  { name: 'key244FormerlyTooLongTenant', value: `foo=1,${'t'.repeat(242)}@v=1`, expected: `foo=1,${'t'.repeat(242)}@v=1` },
  { name: 'key17FormerlyTooLongSystem', value: `foo=1,t@${'v'.repeat(15)}=1`, expected: `foo=1,t@${'v'.repeat(15)}=1` },
  { name: 'key256AllAts', value: `a${'@'.repeat(255)}=1`, expected: `a${'@'.repeat(255)}=1` },
  // test_tracestate_duplicated_keys: "Vendors MAY also discard duplicate keys": we propagate them
  { name: 'duplicatedKeySameValue', value: 'foo=1,foo=1', expected: 'foo=1,foo=1' },
  { name: 'duplicatedKeyOtherValue', value: 'foo=1,foo=2', expected: 'foo=1,foo=2' },
  { name: 'duplicatedKeyAcrossHeaders', value: ['foo=1', 'foo=2'].join(','), expected: 'foo=1,foo=2' },
  { name: 'duplicatedKeyAfterOthers', value: 'a=1,b=2,c=3,a=4', expected: 'a=1,b=2,c=3,a=4' },
  { name: 'duplicatedKeyWithAt', value: 't@v=1, t@v=2', expected: 't@v=1,t@v=2' },
  { name: 'duplicatedPrototypeKey', value: 'constructor=1,constructor=2', expected: 'constructor=1,constructor=2' },
  // test_tracestate_empty_header: several headers, some empty, combined per RFC 9110
  { name: 'emptyHeaderBetweenTwo', value: ['a=1', '', 'b=2'].join(','), expected: 'a=1,b=2' },
  { name: 'whitespaceOnlyHeaders', value: [' ', '\t', ' \t '].join(','), expected: '' },
  { name: 'valueLeadingSpacesOnlyOneCharLeft', value: 'a=   x', expected: 'a=   x' },
  // test_tracestate_member_count_limit (valid half)
  { name: 'exactly32Members', value: bars(32).join(','), expected: bars(32).join(',') },
  { name: 'exactly32MembersAcrossFourHeaders', value: [bars(10), bars(20).slice(10), bars(30).slice(20), bars(32).slice(30)].map((b) => b.join(',')).join(','), expected: bars(32).join(',') },
  { name: 'exactly32MembersAmongEmptyOnes', value: `,${bars(32).join(' , ,')},`, expected: bars(32).join(',') },
];

describe('parseTraceState forwards a valid list', () => {
  it.each(VALID)('keeps $name', ({ value, expected }) => {
    expect(parseTraceState(value)).toBe(expected);
  });
});

// Malformed lists: the whole tracestate is discarded (null), never salvaged.
const MALFORMED: Array<{ name: string; value: string }> = [
  // test_tracestate_key_illegal_characters
  { name: 'spaceBeforeEquals', value: 'foo =1' },
  { name: 'uppercaseKey', value: 'FOO=1' },
  { name: 'keyWithDot', value: 'foo.bar=1' },
  { name: 'uppercaseKeyAmongValid', value: 'a=1,Congo=1,b=2' },
  { name: 'keyStartsWithUnderscore', value: '_a=1' },
  { name: 'keyStartsWithDash', value: '-a=1' },
  { name: 'keyStartsWithStar', value: '*a=1' },
  { name: 'keyStartsWithSlash', value: '/a=1' },
  { name: 'keyWithSpaceInside', value: 'a b=1' },
  { name: 'keyWithTabInside', value: 'a\tb=1' },
  { name: 'emptyKey', value: '=1' },
  { name: 'unicodeKey', value: '\u00e9=1' },
  // test_tracestate_key_illegal_vendor_format: a key must not start with "@"
  { name: 'keyStartsWithAt', value: '@foo=1,bar=2' },
  { name: 'keyOnlyAt', value: '@=1' },
  // test_tracestate_key_length_limit (invalid half): 257 characters
  { name: 'key257', value: ['foo=1', `${'z'.repeat(257)}=1`].join(',') },
  { name: 'key257WithAts', value: `a${'@'.repeat(256)}=1` },
  // test_tracestate_value_illegal_characters
  { name: 'equalsInValue', value: 'foo=bar=baz' },
  { name: 'emptyValueThenValid', value: 'foo=,bar=3' },
  { name: 'spaceOnlyValue', value: 'a=   ' },
  { name: 'noEquals', value: 'abc' },
  { name: 'commaSplitsValue', value: 'a=b,c,d=e' },
  { name: 'value257', value: `a=${'v'.repeat(257)}` },
  { name: 'tabInValue', value: 'a=b\tc' },
  { name: 'crlfInValue', value: 'a=b\r\nx-evil: 1' },
  { name: 'trailingNewline', value: 'a=b\n' },
  { name: 'nulInValue', value: 'a=b\u0000' },
  { name: 'delInValue', value: 'a=b\u007f' },
  { name: 'unicodeValue', value: 'a=caf\u00e9' },
  { name: 'eightKilobyteValue', value: `a=${'v'.repeat(8192)}` },
  { name: 'eightKilobytesOfNul', value: '\u0000'.repeat(8192) },
  // test_tracestate_member_count_limit (invalid half)
  { name: 'members33', value: bars(33).join(',') },
  { name: 'members33AcrossHeaders', value: [bars(10).join(','), bars(33).slice(10).join(',')].join(',') },
  { name: 'members1000', value: Array.from({ length: 1000 }, (_, i) => `m${i}=v`).join(',') },
];

describe('parseTraceState discards a malformed list whole', () => {
  it.each(MALFORMED)('returns null for $name', ({ value }) => {
    expect(parseTraceState(value)).toBeNull();
  });

  it.each(MALFORMED)('returns null for $name even after a valid member and before another', ({ value }) => {
    expect(parseTraceState(`good=1,${value},other=2`)).toBeNull();
  });
});

// Truncation: the only change to a valid list besides OWS. "Vendors SHOULD propagate at least 512 characters":
// members longer than 128 go first (rightmost first, only until it fits), then members from the right.
const a = member('a', 60);
const b = member('b', 60);
const c = member('c', 60);
const long1 = member('long1', 200);
const long2 = member('long2', 200);
const six100 = Array.from({ length: 6 }, (_, i) => member(`k${i}`, 100));
const maximal = Array.from({ length: 32 }, (_, i) => `k${i}=${'v'.repeat(256)}`);
const TRUNCATED: Array<{ name: string; members: string[]; expected: string[] }> = [
  { name: 'exactly512Kept', members: [member('a', 127), member('b', 127), member('c', 127), member('d', 128)], expected: [member('a', 127), member('b', 127), member('c', 127), member('d', 128)] },
  { name: 'shortMembersFromTheRight', members: six100.map((m) => m.slice(0, 99)), expected: six100.slice(0, 5).map((m) => m.slice(0, 99)) },
  { name: 'longMembersFirstRightmostFirstUntilItFits', members: [a, long1, b, long2, c], expected: [a, long1, b, c] },
  { name: 'longMemberThenFromTheRight', members: [member('long', 129), ...six100], expected: six100.slice(0, 5) },
  { name: 'thirtyTwoMaximalMembers', members: maximal, expected: maximal.slice(0, 1) },
  { name: 'oneMemberLongerThan512', members: [`a${'b'.repeat(255)}=${'v'.repeat(256)}`], expected: [] },
];

describe('parseTraceState truncates a valid list longer than 512 characters', () => {
  it.each(TRUNCATED)('truncates $name', ({ members, expected }) => {
    expect(parseTraceState(members.join(','))).toBe(expected.join(','));
  });

  it('checks the cases are as long as their names say', () => {
    expect(TRUNCATED[0].members.join(',').length).toBe(512);
    expect(TRUNCATED[1].members.join(',').length).toBe(599);
    expect([a, long1, b, long2, c].join(',').length).toBe(584);
  });

  it('measures the length without the OWS it removes', () => {
    const members = [member('a', 127), member('b', 127), member('c', 127), member('d', 128)];
    expect(parseTraceState(members.join(' \t, '))).toBe(members.join(','));
  });
});

// The whole-header regexes of w3c-grammar.ts (for nginx maps) must agree with the parser on every case above
// and on a deterministic stream of short random lists over the characters that matter.
describe('the whole-header grammar agrees with parseTraceState', () => {
  const listRe = new RegExp(LIST);
  const normalRe = new RegExp(NORMAL_LIST);
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const ALPHABET = ['k=v', 'a@1=x y', '0=~', ',', ',', ' ', ' ', '\t', 'b', '@', '=', '-', 'Z', '\u0000'];
  const generated = Array.from({ length: 3000 }, (_, i) => ({
    name: `random${i}`,
    value: Array.from({ length: Math.floor(random() * 12) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join(''),
  }));
  const cases = [
    ...VALID,
    ...MALFORMED,
    ...MALFORMED.map(({ name, value }) => ({ name: `${name}BetweenValid`, value: `good=1,${value},other=2` })),
    ...TRUNCATED.map(({ name, members }) => ({ name, value: members.join(',') })),
    ...generated,
  ];

  it.each(cases)('LIST matches exactly the valid lists: $name', ({ value }) => {
    expect(listRe.test(value)).toBe(parseTraceState(value) !== null);
  });

  it.each(cases)('NORMAL_LIST matches exactly what passes unchanged: $name', ({ value }) => {
    expect(normalRe.test(value)).toBe(value !== '' && parseTraceState(value) === value);
  });

  it('the random stream holds both valid and malformed lists', () => {
    const valid = generated.filter(({ value }) => parseTraceState(value) !== null).length;
    expect(valid).toBeGreaterThan(300);
    expect(generated.length - valid).toBeGreaterThan(300);
  });
});
