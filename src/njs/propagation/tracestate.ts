/**
 * W3C Trace Context `tracestate` normalizer.
 * https://www.w3.org/TR/trace-context-2/#tracestate-header
 * Only a valid traceparent's tracestate is ever passed here (the caller's job):
 * "If the vendor failed to parse traceparent, it MUST NOT attempt to parse tracestate."
 */
import { END } from './types';

export const TRACESTATE = 'tracestate';

// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/"
const KEY_CHAR = '[a-z0-9_\\-*/]';
// simple-key = lcalpha 0*255( keychar )
const SIMPLE_KEY = `[a-z]${KEY_CHAR}{0,255}`;
// multi-tenant-key = tenant-id "@" system-id
// tenant-id = ( lcalpha / DIGIT ) 0*240( keychar ); system-id = lcalpha 0*13( keychar )
const MULTI_TENANT_KEY = `[a-z0-9]${KEY_CHAR}{0,240}@[a-z]${KEY_CHAR}{0,13}`;
const KEY = `(?:${SIMPLE_KEY}|${MULTI_TENANT_KEY})`;
// value = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E  (printable ASCII except "," and "=")
const NBLK_CHR = '[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
const CHR = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
const VALUE = `${CHR}{0,255}${NBLK_CHR}`;

const LIST_MEMBER_RE = new RegExp(`^(${KEY})=${VALUE}${END}`);
// list = list-member 0*31( OWS "," OWS list-member ) ; OWS = *( SP / HTAB )
const OWS_AROUND_RE = /^[ \t]+|[ \t]+$/g;

/** "There can be a maximum of 32 list-members in a list." */
export const MAX_MEMBERS = 32;
/** "Vendors SHOULD propagate at least 512 characters of a combined header." */
export const MAX_LENGTH = 512;
/** "Entries larger than 128 characters long SHOULD be removed first." */
export const LONG_MEMBER = 128;

function joinedLength(members: string[]): number {
  let total = members.length > 0 ? members.length - 1 : 0;
  for (let i = 0; i < members.length; i++) {
    total += members[i].length;
  }
  return total;
}

/**
 * Normalizes one or more `tracestate` header values (joined with ','): keeps
 * valid list-members in order, drops invalid ones and later duplicates of a
 * key, keeps at most 32, then truncates to 512 characters. '' if none remain.
 */
export function normalizeTraceState(values: string): string {
  if (typeof values !== 'string' || values.length === 0) {
    return '';
  }
  const parts = values.split(',');
  const members: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i < parts.length && members.length < MAX_MEMBERS; i++) {
    // "Spaces and horizontal tabs surrounding list-members are ignored."
    const member = parts[i].replace(OWS_AROUND_RE, '');
    // "Empty and whitespace-only list members are allowed."
    if (member.length === 0) {
      continue;
    }
    const m = LIST_MEMBER_RE.exec(member);
    if (m === null) {
      continue;
    }
    // "Only one entry per key is allowed": the leftmost is the most recent.
    if (keys.indexOf(m[1]) !== -1) {
      continue;
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
