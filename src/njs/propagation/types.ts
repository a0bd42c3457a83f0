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
 */
export const END = '(?![\\s\\S])';
