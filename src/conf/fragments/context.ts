/**
 * What this request's context variables hold in each mode: one table,
 * rendered as the maps keyed on $tracing__mode (README "Variables") and read
 * by src/conf/fragments/record-context.ts, which writes a mode's literal or source variable
 * into the record instead of looking each variable up again.
 */
import { NATIVE_MODES } from '../../contract/modes.js';
import { fragment, renderMap, type MapEntry } from './render.js';

/** The context variables, by the record part that carries them (src/record/fields.ts; trace and flags have none of their own). */
export const CONTEXT_VARIABLES = {
  trace: '$tracing_trace_id',
  pid: '$tracing__parent_id',
  flags: '$tracing__flags',
  tst: '$tracing__tracestate',
  ltid: '$tracing__link_trace_id',
  lsid: '$tracing__link_span_id',
  fmt: '$tracing__incoming_format',
} as const;
export type ContextPart = keyof typeof CONTEXT_VARIABLES;
type Context = Record<ContextPart, string>;

const NO_PARENT = { pid: '', tst: '', ltid: '', lsid: '' };
const W3C_PARENT = { trace: '$tracing__tp_trace', pid: '$tracing__tp_parent', tst: '$http_tracestate', ltid: '', lsid: '', fmt: 'w3c' };

/** Per mode (src/contract/modes.ts, and js): a literal, or the one variable that holds the value. */
export const MODE_CONTEXT: Record<string, Context> = {
  // Our own new trace ids ($request_id) are random: flag 0x02.
  root: { trace: '$request_id', flags: '03', ...NO_PARENT, fmt: '' },
  rootratio: { trace: '$request_id', flags: '$tracing__ratio_root_flags', ...NO_PARENT, fmt: '' },
  distrust: { trace: '$request_id', flags: '03', ...NO_PARENT, ltid: '$tracing__tp_trace', lsid: '$tracing__tp_parent', fmt: '' },
  // A valid tracestate beside a trusted traceparent is passed on as it came.
  continue: { ...W3C_PARENT, flags: '$tracing__w3c_flags' },
  continueratio: { ...W3C_PARENT, flags: '$tracing__ratio_w3c_flags' },
  b3: { trace: '$tracing__b3_trace', pid: '$tracing__b3_s', flags: '$tracing__b3_flags', tst: '', ltid: '', lsid: '', fmt: 'b3' },
  b3multi: { trace: '$tracing__m_trace', pid: '$tracing__m_s', flags: '$tracing__m_flags', tst: '', ltid: '', lsid: '', fmt: 'b3multi' },
  jaeger: { trace: '$tracing__j_trace', pid: '$tracing__j_span', flags: '$tracing__j_flags', tst: '', ltid: '', lsid: '', fmt: 'jaeger' },
  native: {
    trace: '$tracing__trace', pid: '$tracing__native_parent_id', flags: '$tracing__native_flags', tst: '$tracing__native_tracestate',
    ltid: '$tracing__native_link_trace_id', lsid: '$tracing__native_link_span_id', fmt: '$tracing__format',
  },
  js: {
    trace: '$tracing__js_trace_id', pid: '$tracing__js_parent_id', flags: '$tracing__js_flags', tst: '$tracing__js_tracestate',
    ltid: '$tracing__js_link_trace_id', lsid: '$tracing__js_link_span_id', fmt: '$tracing__js_format',
  },
};

export function renderContext(): string {
  const missing = NATIVE_MODES.filter((mode) => !MODE_CONTEXT[mode]);
  if (missing.length) throw new Error(`MODE_CONTEXT lacks the modes ${missing.join(', ')}`);
  const maps = (Object.keys(CONTEXT_VARIABLES) as ContextPart[]).map((part) => {
    const entries: MapEntry[] = Object.entries(MODE_CONTEXT)
      .filter(([, context]) => context[part] !== '')
      .map(([mode, context]) => [mode, context[part]]);
    // Out of scope, off, and a mode without an entry: empty.
    return renderMap('$tracing__mode', CONTEXT_VARIABLES[part], [...entries, ['default', '']]);
  });
  return fragment('src/conf/fragments/context.ts', 'its MODE_CONTEXT table (src/conf/fragments/record-context.ts reads it too)',
    'Where each mode takes this request\'s trace id, parent, flags, tracestate, link and format from;\n' +
      'our own new trace ids ($request_id) are random: flag 0x02.', maps);
}
