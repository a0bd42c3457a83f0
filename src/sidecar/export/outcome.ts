/**
 * What one export attempt came to, and how an HTTP answer maps to it, per the
 * OTLP/HTTP specification: only 429, 502, 503 and 504 (and failures to get an
 * answer at all) are worth retrying, after `Retry-After` when the backend
 * sends one; any other non-2xx answer would come again, so that batch is
 * dropped at once and counted by reason. The Jaeger collector's answers get
 * the same rules.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export type ExportOutcome =
  /** The backend has the batch; `rejected` spans of it were refused by a partial success. */
  | { kind: 'ok'; rejected: number; message?: string }
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  | { kind: 'drop'; reason: string; error: string };

/** One request per call; `signal` aborts it (export timeout, shutdown deadline) and must end it at once. */
export interface BatchExporter {
  export(spans: ReadableSpan[], signal: AbortSignal): Promise<ExportOutcome>;
  shutdown(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** A Retry-After further out than this is capped: the backoff keeps probing. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After: <seconds>` or `Retry-After: <HTTP date>` in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

/** A non-2xx HTTP answer -> retry or drop. */
export function outcomeOfStatus(status: number, retryAfter: string | undefined): ExportOutcome {
  if (RETRYABLE_STATUS.has(status)) return { kind: 'retry', error: `HTTP ${status}`, retryAfterMs: parseRetryAfter(retryAfter) };
  return { kind: 'drop', reason: `http_${status}`, error: `HTTP ${status}` };
}

/** No answer: connection refused or reset, DNS, timeout/abort. Always retryable. */
export function outcomeOfError(error: unknown): ExportOutcome {
  const err = error as NodeJS.ErrnoException;
  return { kind: 'retry', error: err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? error) };
}
