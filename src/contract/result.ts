/**
 * The njs step's result line: the fields in order, what each may hold, and
 * the nginx variable each becomes. src/njs/result-line.ts writes the line in
 * this order (test/unit/contract.test.ts checks it with these patterns), and
 * the maps that split it in nginx are generated from this table
 * (src/conf/fragments/js-result.ts). Empty fields are "-".
 */
export interface ResultField {
  name: string;
  /** Internal nginx variable the field becomes. */
  variable: string;
  /** PCRE/JS source of a non-empty value. */
  pattern: string;
  /** The variable's value when the field is "-" (or the line is missing). */
  empty: string;
  /** When the line itself is missing or malformed (njs failed): default `empty`. */
  missing?: string;
}

export const RESULT_FIELDS: ResultField[] = [
  { name: 'trace', variable: '$tracing__js_trace_id', pattern: '[0-9a-f]{32}', empty: '$request_id' },
  { name: 'parent', variable: '$tracing__js_parent_id', pattern: '[0-9a-f]{16}', empty: '' },
  { name: 'flags', variable: '$tracing__js_flags', pattern: '[0-9a-f]{2}', empty: '02' },
  { name: 'link_trace', variable: '$tracing__js_link_trace_id', pattern: '[0-9a-f]{32}', empty: '' },
  { name: 'link_span', variable: '$tracing__js_link_span_id', pattern: '[0-9a-f]{16}', empty: '' },
  { name: 'format', variable: '$tracing__js_format', pattern: '[a-z0-9]+', empty: '' },
  { name: 'rejected', variable: '$tracing__js_rejected', pattern: '[a-z0-9,-]+[a-z0-9]', empty: '' },
  { name: 'debug', variable: '$tracing__js_debug', pattern: '[01]', empty: '0' },
  // A missing line means the njs step failed before it could answer.
  { name: 'error', variable: '$tracing__js_error', pattern: '[a-z_]+', empty: '', missing: 'no_result' },
  // Last: its values may hold spaces.
  { name: 'tracestate', variable: '$tracing__js_tracestate', pattern: '[^-].*', empty: '' },
];
