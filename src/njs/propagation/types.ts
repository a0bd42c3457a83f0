/**
 * Shapes shared by the incoming trace-context parsers (w3c, b3, jaeger) and
 * by extract(). Every parser is pure: a header value in, an Extracted or null
 * out. None of them throws.
 */

/** Wire format a context came in. 'b3' is the single `b3` header, 'b3multi' the X-B3-* set. */
export type Format = 'w3c' | 'b3' | 'b3multi' | 'jaeger';

/** Sampling decision carried by the header; 'deferred' = the header made none. */
export type Sampling = 'sampled' | 'unsampled' | 'deferred' | 'debug';

export interface Extracted {
  format: Format;
  /**
   * 32 lowercase hex, never all zeros; 64-bit ids are left-padded with 16
   * zeros. '' when the header carried only a sampling decision (B3 "0"/"1"/"d"
   * alone, X-B3-Flags/X-B3-Sampled alone).
   */
  traceId: string;
  /** 16 lowercase hex, never all zeros ('' with traceId ''). */
  spanId: string;
  sampling: Sampling;
  /** W3C Level 2 random-trace-id flag (0x02); false for other formats. */
  randomTraceId: boolean;
  /** W3C only: the normalized tracestate; '' otherwise. */
  traceState: string;
}

/** Reads one request header by lowercase name; '' when absent. */
export type HeaderReader = (name: string) => string;

/**
 * End-of-input anchor for the parsers' regexes. Not '$': njs 0.7.9 runs
 * regexes on PCRE, where '$' also matches before a final "\n", so
 * /^1$/.test('1\n') is true there (and false in Node).
 *
 * The parsers' regexes are written as literals, not `new RegExp(parts)`: njs
 * (0.7.9 and 1.0) re-runs a module's top-level code for every request, and
 * each `new RegExp(string)` costs some 3 us there where a literal costs almost
 * nothing. Each module exports the named grammar parts, and
 * test/unit/propagation/regex-literals.test.ts checks every literal against
 * `new RegExp(<its composition of those parts>)`, so the parts stay the one
 * definition and a literal cannot drift from them.
 */
export const END = '(?![\\s\\S])';

/** Zeros only: an all-zero id identifies nothing. `^0+${END}` */
export const ALL_ZEROS_RE = /^0+(?![\s\S])/;
