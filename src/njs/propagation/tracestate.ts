/**
 * W3C Trace Context `tracestate` parser.
 * https://www.w3.org/TR/trace-context-2/#tracestate-header
 * Only a valid traceparent's tracestate is ever passed here (the caller's job):
 * "If the vendor failed to parse traceparent, it MUST NOT attempt to parse tracestate."
 *
 * A malformed list is discarded whole, as the W3C conformance suite expects
 * (w3c/trace-context test/test.py: test_tracestate_duplicated_keys,
 * test_tracestate_key_illegal_characters, test_tracestate_value_illegal_characters,
 * test_tracestate_member_count_limit, test_tracestate_key_length_limit, ...):
 * valid members are never salvaged from it.
 */
export const TRACESTATE = 'tracestate';

// The grammar, in named parts. LIST_MEMBER_RE is a literal spelling out their
// composition (types.ts, END); test/unit/propagation/regex-literals.test.ts
// checks the literal against it.
// Keys follow the grammar the conformance suite checks (test/tracecontext/tracestate.py).
// The current editors' draft allows "@" anywhere in a key, but the suite still
// expects "foo@=1", "foo@@bar=1" and a 242-char tenant id to void the list.
// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/"
export const KEY_CHAR = '[a-z0-9_\\-*/]';
// simple-key = lcalpha 0*255( keychar )
export const SIMPLE_KEY = `[a-z]${KEY_CHAR}{0,255}`;
// multi-tenant-key = tenant-id "@" system-id
// tenant-id = ( lcalpha / DIGIT ) 0*240( keychar ); system-id = lcalpha 0*13( keychar )
export const MULTI_TENANT_KEY = `[a-z0-9]${KEY_CHAR}{0,240}@[a-z]${KEY_CHAR}{0,13}`;
export const KEY = `(?:${SIMPLE_KEY}|${MULTI_TENANT_KEY})`;
// value = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E  (printable ASCII except "," and "=")
export const NBLK_CHR = '[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
export const CHR = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
export const VALUE = `${CHR}{0,255}${NBLK_CHR}`;

// list-member = key "=" value
// `^(${KEY})=${VALUE}${END}`
export const LIST_MEMBER_RE =
  /^((?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}))=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e](?![\s\S])/;
// list = list-member 0*31( OWS "," OWS list-member ) ; OWS = *( SP / HTAB )
const OWS_AROUND_RE = /^[ \t]+|[ \t]+$/g;

/** "There can be a maximum of 32 list-members in a list." */
export const MAX_MEMBERS = 32;
/** "Vendors SHOULD propagate at least 512 characters of a combined header." */
export const MAX_LENGTH = 512;
/** "Entries larger than 128 characters long SHOULD be removed first." */
export const LONG_MEMBER = 128;
/** The longest valid list-member: a 256-char key, '=', a 256-char value. */
const MAX_MEMBER_LENGTH = 256 + 1 + 256;

function joinedLength(members: string[]): number {
  let total = members.length > 0 ? members.length - 1 : 0;
  for (let i = 0; i < members.length; i++) {
    total += members[i].length;
  }
  return total;
}

/**
 * Parses one or more `tracestate` header values (joined with ','). Returns the
 * list-members in order without OWS and empty members, truncated to 512
 * characters ('' when no member is left); null when the list is malformed
 * (an invalid list-member, a duplicated key, more than 32 list-members) and
 * must be discarded whole.
 */
export function parseTraceState(values: string): string | null {
  if (typeof values !== 'string' || values.length === 0) {
    return '';
  }
  const parts = values.split(',');
  const members: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    // "Spaces and horizontal tabs surrounding list-members are ignored."
    const member = parts[i].replace(OWS_AROUND_RE, '');
    // "Empty and whitespace-only list members are allowed."
    if (member.length === 0) {
      continue;
    }
    if (members.length === MAX_MEMBERS || member.length > MAX_MEMBER_LENGTH) {
      return null;
    }
    const m = LIST_MEMBER_RE.exec(member);
    // "Only one entry per key is allowed": a repeated key makes the list invalid.
    if (m === null || keys.indexOf(m[1]) !== -1) {
      return null;
    }
    keys.push(m[1]);
    members.push(member);
  }

  // "the vendor MUST truncate whole entries. Entries larger than 128 characters
  // long SHOULD be removed first. Then entries SHOULD be removed starting from
  // the end of tracestate."
  let length = joinedLength(members);
  for (let i = members.length - 1; i >= 0 && length > MAX_LENGTH; i--) {
    if (members[i].length > LONG_MEMBER) {
      members.splice(i, 1);
      length = joinedLength(members);
    }
  }
  while (length > MAX_LENGTH) {
    members.pop();
    length = joinedLength(members);
  }
  return members.join(',');
}
