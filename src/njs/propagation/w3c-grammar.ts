/**
 * The W3C Trace Context grammar, written once, as regex sources.
 * Spec: the editor's draft of Trace Context Level 2 (2026), "Trace Context
 * HTTP Request Headers Format". Each part quotes the rule it follows.
 *
 * Every source here is valid both in JavaScript and in PCRE (nginx `map`
 * regexes): no lookbehind, no possessive quantifiers, no `$` (PCRE lets `$`
 * match before a final "\n"; END does not). The njs parsers (w3c.ts,
 * tracestate.ts) hold regex literals spelled out of these parts, and
 * test/unit/propagation/regex-literals.test.ts checks each literal against
 * its composition; nginx maps are generated from the same parts.
 *
 * The whole-header sources are built so that a regex engine never has two
 * ways to match the same text (OWS and list-members cannot trade characters),
 * so a hostile 10 KB header fails in time linear in its length.
 */
import { END } from './types';

export { END };

// ---- shared -------------------------------------------------------------------
// RFC 9110 5.6.3: OWS = *( SP / HTAB ), "optional whitespace" around a field value
// and, in tracestate, around list-members.
export const OWS = '[ \\t]*';

// ---- traceparent ----------------------------------------------------------------
// version = 2HEXDIGLC ; "Version ff is forbidden"
export const VERSION = '(?!ff)[0-9a-f]{2}';
// trace-id = 32HEXDIGLC ; "All zeroes forbidden"
export const TRACE_ID = '(?!0{32})[0-9a-f]{32}';
// parent-id = 16HEXDIGLC ; "All zeroes forbidden"
export const PARENT_ID = '(?!0{16})[0-9a-f]{16}';
// trace-flags = 2HEXDIGLC
export const FLAGS = '[0-9a-f]{2}';
// Higher versions: "the 2 characters [of flags] are either at the end of the
// string or followed by a dash"; "Vendors MUST NOT parse or assume anything
// about unknown fields". We only insist they hold no whitespace or controls
// (so they cannot run into the trailing OWS).
export const FUTURE_FIELDS = '(?:-[\\x21-\\x7e]*)?';

// "This document specifies version 0": version-format = trace-id "-" parent-id "-"
// trace-flags, 55 characters with nothing after them (no '-' at the 56th).
export const NOTHING_AFTER_00 = '(?!00-[\\s\\S]{52}-)';

/**
 * A whole valid `traceparent` field value of any version, OWS around it
 * (RFC 9110: a field value's leading and trailing whitespace is not part of it).
 * Captures: 1 version, 2 trace-id, 3 parent-id, 4 trace-flags.
 */
export const TRACEPARENT = `^${OWS}${NOTHING_AFTER_00}(${VERSION})-(${TRACE_ID})-(${PARENT_ID})-(${FLAGS})${FUTURE_FIELDS}${OWS}${END}`;

/**
 * A whole version-00 `traceparent`: version-format = trace-id "-" parent-id "-" trace-flags.
 * Captures: 1 trace-id, 2 parent-id, 3 trace-flags.
 */
export const TRACEPARENT_00 = `^${OWS}00-(${TRACE_ID})-(${PARENT_ID})-(${FLAGS})${OWS}${END}`;

// ---- tracestate -----------------------------------------------------------------
// key = ( lcalpha / DIGIT ) 0*255 ( keychar )
// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
// (The Level 1 split into tenant-id "@" system-id is gone: "@" is a key character.)
export const KEY_CHAR = '[a-z0-9_\\-*/@]';
export const KEY = `[a-z0-9]${KEY_CHAR}{0,255}`;
// value = 0*255(chr) nblk-chr
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E  (printable ASCII except "," and "=")
// chr = %x20 / nblk-chr
// "All leading spaces MUST be preserved as part of the value. All trailing
// spaces are considered to be optional whitespace characters not part of the value."
export const NBLK_CHR = '[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
export const CHR = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
export const VALUE = `${CHR}{0,255}${NBLK_CHR}`;
// list-member = (key "=" value) / OWS   (this is the key "=" value one)
export const MEMBER = `${KEY}=${VALUE}`;

/** One list-member without OWS (the njs parser splits and trims first). Captures: 1 key. */
export const LIST_MEMBER = `^(${KEY})=${VALUE}${END}`;

/** "There can be a maximum of 32 list-members in a list." (empty ones not counted) */
export const MAX_MEMBERS = 32;
/** "Vendors SHOULD propagate at least 512 characters of a combined header." */
export const MAX_LENGTH = 512;
/** "Entries larger than 128 characters long SHOULD be removed first." */
export const LONG_MEMBER = 128;
/** The longest valid list-member: a 256-char key, '=', a 256-char value. */
export const MAX_MEMBER_LENGTH = 256 + 1 + 256;

// list = list-member 0*31( OWS "," OWS list-member )
// "Spaces and horizontal tabs surrounding list-members are ignored."
// "Empty and whitespace-only list members are allowed."
// As one regex: empty segments (OWS), then at most 32 non-empty ones with empty
// ones between and after them. An empty segment is OWS followed by ",", a
// non-empty one starts with OWS and a key character: no segment can be read
// two ways.
const EMPTY_THEN_COMMA = `(?:${OWS},)*`;
const FILLED = `${OWS}${MEMBER}${OWS}`;

/**
 * A whole (combined) `tracestate` field value that is a valid list: any OWS,
 * any number of empty members, 0 to 32 list-members. Says nothing about the
 * 512-character propagation limit (see NORMAL_LIST) and allows repeated keys
 * ("Vendors MAY also discard duplicate keys": we propagate them).
 */
export const LIST =
  `^${EMPTY_THEN_COMMA}(?:${FILLED}(?:,${EMPTY_THEN_COMMA}${FILLED}){0,${MAX_MEMBERS - 1}}(?:,${OWS})*|${OWS})${END}`;

/**
 * A list already in the form the njs parser forwards (1 to 32 list-members
 * joined by "," without OWS or empty members) of at most 512 characters:
 * parseTraceState returns such a value unchanged, so it can pass through as it came.
 * The length check is "not 513 characters": a fixed count that fails without
 * backtracking (a bounded {1,512} backtracked 512 times on a longer header).
 */
export const NORMAL_LIST = `^(?![\\s\\S]{${MAX_LENGTH + 1}})${MEMBER}(?:,${MEMBER}){0,${MAX_MEMBERS - 1}}${END}`;
