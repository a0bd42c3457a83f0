/**
 * Spans grouped into traces with their tree: the root (the ingress SERVER
 * span when the trace has one), children by parent id, and the route the
 * trace is grouped under.
 */
import { overlapUs } from './intervals.js';
import { INGRESS_ATTR, isIngressAttempt, stringAttribute, type Span } from './spans.js';

export interface Trace {
  traceId: string;
  root: Span;
  spans: Span[];
  children: Map<string, Span[]>;
  /** The ingress SERVER span's name ("GET /cart/{id}"), else the root span's. */
  route: string;
  /** True when the root is the sidecar's ingress SERVER span (it has upstream attempts or none were made). */
  hasIngress: boolean;
}

function byStart(a: Span, b: Span): number {
  return a.startUs - b.startUs || a.endUs - b.endUs;
}

/**
 * The root: among the spans whose parent is not in the trace, the one with
 * ingress attempts under it, else the earliest SERVER span, else the earliest.
 */
function findRoot(spans: Span[], ids: Set<string>, children: Map<string, Span[]>): Span {
  const orphans = spans.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId)).sort(byStart);
  const candidates = orphans.length > 0 ? orphans : [...spans].sort(byStart);
  return (
    candidates.find((span) => span.kind === 'server' && (children.get(span.spanId) ?? []).some(isIngressAttempt)) ??
    candidates.find((span) => span.kind === 'server') ??
    candidates[0]
  );
}

export function buildTraces(spans: Span[]): Trace[] {
  const byTrace = new Map<string, Span[]>();
  const seen = new Set<string>();
  for (const span of spans) {
    // The same span read twice (two exports of one batch after a retry) counts once.
    const key = `${span.traceId}/${span.spanId}/${span.service}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let list = byTrace.get(span.traceId);
    if (!list) byTrace.set(span.traceId, (list = []));
    list.push(span);
  }
  const traces: Trace[] = [];
  for (const [traceId, list] of byTrace) {
    list.sort(byStart);
    const ids = new Set(list.map((span) => span.spanId));
    const children = new Map<string, Span[]>();
    for (const span of list) {
      if (!span.parentSpanId || !ids.has(span.parentSpanId) || span.parentSpanId === span.spanId) continue;
      let siblings = children.get(span.parentSpanId);
      if (!siblings) children.set(span.parentSpanId, (siblings = []));
      siblings.push(span);
    }
    const root = findRoot(list, ids, children);
    const hasIngress = root.kind === 'server' && (children.get(root.spanId) ?? []).some(isIngressAttempt);
    traces.push({ traceId, root, spans: list, children, route: routeOf(root), hasIngress });
  }
  return traces;
}

function routeOf(root: Span): string {
  if (root.name) return root.name;
  return stringAttribute(root, INGRESS_ATTR.route) ?? '(unnamed)';
}

/** Every span under `span` (itself excluded), depth first, children by start time. */
export function descendants(trace: Trace, span: Span): Span[] {
  const out: Span[] = [];
  const visit = (parent: Span, depth: number) => {
    if (depth > 64) return; // a reference loop in hostile input
    for (const child of trace.children.get(parent.spanId) ?? []) {
      out.push(child);
      visit(child, depth + 1);
    }
  };
  visit(span, 0);
  return out;
}

/**
 * The application spans under NGINX's upstream attempts, each given to the
 * attempt it overlaps most: NGINX sends every attempt the same traceparent
 * (the last attempt's span id), so a failed attempt's app spans name the
 * wrong parent.
 */
export function assignToAttempts(trace: Trace, attempts: Span[]): Map<Span, Span[]> {
  const owned = new Map<Span, Span[]>(attempts.map((a) => [a, []]));
  if (attempts.length === 0) return owned;
  const window = (span: Span): [number, number] => [span.startUs, Math.max(span.startUs, span.endUs)];
  const last = attempts[attempts.length - 1];
  for (const attempt of attempts) {
    for (const child of trace.children.get(attempt.spanId) ?? []) {
      let best = last;
      let bestOverlap = -1;
      for (const candidate of attempts) {
        const overlap = overlapUs(window(candidate), window(child));
        if (overlap > bestOverlap) [best, bestOverlap] = [candidate, overlap];
      }
      owned.get(best)!.push(child);
    }
  }
  return owned;
}
