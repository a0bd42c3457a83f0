/**
 * One trace as rows in tree order (the ingress SERVER span first, children by
 * start time), with the text each renderer shows: the terminal waterfall
 * below and the HTML one (render-html.ts).
 */
import { INGRESS_ATTR, isIngressAttempt, numberAttribute, stringAttribute, type Span } from './spans.js';
import { assignToAttempts, buildTraces } from './trace.js';
import { ms, padEnd, padStart, truncate, type Paint } from './format.js';

export interface WaterfallRow {
  span: Span;
  depth: number;
  /** Tree drawing before the label, e.g. "│  ├─ ". */
  prefix: string;
  label: string;
  note: string;
}

function attemptNote(span: Span, index: number): string {
  const status = numberAttribute(span, INGRESS_ATTR.status);
  const outcome = status !== null ? String(status) : stringAttribute(span, INGRESS_ATTR.errorType) ?? 'no answer';
  const connect = numberAttribute(span, INGRESS_ATTR.connectMs);
  const address = stringAttribute(span, INGRESS_ATTR.upstreamAddress) ?? '?';
  return `attempt ${index + 1}: ${outcome} from ${address}${connect === null ? ', never connected' : `, connect ${connect} ms`}`;
}

function noteOf(span: Span, attemptIndex: number): string {
  if (isIngressAttempt(span)) return attemptNote(span, attemptIndex);
  const query = stringAttribute(span, 'db.query.text') ?? stringAttribute(span, 'db.statement');
  if (query) return truncate(query.replace(/\s+/g, ' '), 48);
  const status = numberAttribute(span, 'http.response.status_code') ?? numberAttribute(span, 'http.status_code');
  return status === null ? '' : String(status);
}

export function waterfallRows(spans: Span[]): WaterfallRow[] {
  const [trace] = buildTraces(spans);
  if (!trace) return [];
  const rows: WaterfallRow[] = [];
  const placed = new Set<Span>();
  // App spans under the attempt they belong to (see assignToAttempts), not all under the last.
  const attempts = (trace.children.get(trace.root.spanId) ?? []).filter(isIngressAttempt);
  const owned = assignToAttempts(trace, attempts);
  const childrenOf = (span: Span) => owned.get(span) ?? trace.children.get(span.spanId) ?? [];
  const visit = (span: Span, depth: number, lead: string, last: boolean, attemptIndex: number) => {
    placed.add(span);
    rows.push({
      span,
      depth,
      prefix: depth === 0 ? '' : `${lead}${last ? '└─ ' : '├─ '}`,
      label: `${span.service}  ${span.name}`,
      note: noteOf(span, attemptIndex),
    });
    const kids = childrenOf(span).filter((kid) => !placed.has(kid));
    let attempts = 0;
    kids.forEach((kid, i) => {
      const nextLead = depth === 0 ? '' : `${lead}${last ? '   ' : '│  '}`;
      visit(kid, depth + 1, nextLead, i === kids.length - 1, isIngressAttempt(kid) ? attempts++ : 0);
    });
  };
  visit(trace.root, 0, '', true, 0);
  for (const span of trace.spans) if (!placed.has(span)) visit(span, 0, '', true, 0);
  return rows;
}

const KIND_WIDTH = 6;

/** The terminal waterfall: tree, kind, a bar on a shared time axis, duration, note. */
export function renderWaterfall(spans: Span[], paint: Paint, barWidth = 40): string {
  const rows = waterfallRows(spans);
  if (rows.length === 0) return '';
  const t0 = rows[0].span.startUs;
  const t1 = Math.max(...rows.map((row) => row.span.endUs));
  const totalUs = Math.max(1, t1 - t0);
  const labelWidth = Math.min(64, Math.max(...rows.map((row) => row.prefix.length + row.label.length)));
  const column = (us: number) => Math.round(((us - t0) / totalUs) * barWidth);
  const axis = `${padEnd('0 ms', barWidth / 2)}${padEnd(ms(totalUs / 2000), barWidth / 2)}${ms(totalUs / 1000)}`;
  const lines = [
    paint(`${padEnd(`trace ${rows[0].span.traceId}`, labelWidth + KIND_WIDTH + 2)} ${axis}`, 'bold'),
  ];
  for (const row of rows) {
    const start = Math.min(barWidth - 1, column(row.span.startUs));
    const end = Math.max(start + 1, Math.min(barWidth, column(row.span.endUs)));
    const length = end - start;
    const bar = length === 1 ? '|' : `[${'='.repeat(length - 2)}]`;
    const style = row.span.error ? 'red' : row.span.kind === 'server' ? 'cyan' : row.span.kind === 'client' ? 'yellow' : 'magenta';
    const cells = `${' '.repeat(start)}${paint(bar, style)}${' '.repeat(barWidth - end)}`;
    const label = truncate(row.prefix + row.label, labelWidth);
    lines.push(
      `${padEnd(label, labelWidth)}  ${padEnd(row.span.kind.toUpperCase(), KIND_WIDTH)} ${cells} ${padStart(ms((row.span.endUs - row.span.startUs) / 1000), 9)}  ${paint(row.note, 'dim')}`.trimEnd(),
    );
  }
  return lines.join('\n');
}
