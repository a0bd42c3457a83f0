/**
 * Span ids for upstream attempts that NGINX did not inject. Only the last
 * attempt's id (record.clientSpanId) reached the upstream; earlier attempts get
 * an id derived from it and the attempt index, so replaying the same record
 * (file re-read, retry) yields the same spans instead of duplicates.
 */
import { createHash } from 'node:crypto';

const INVALID_SPAN_ID = '0000000000000000';

export function attemptSpanId(clientSpanId: string, attemptIndex: number, attemptCount: number): string {
  if (attemptIndex === attemptCount - 1) return clientSpanId;
  const id = createHash('sha256').update(`${clientSpanId}/attempt/${attemptIndex}`).digest('hex').slice(0, 16);
  // An all-zero id is invalid in W3C and OTLP; a 2^-64 chance, but cheap to rule out.
  return id === INVALID_SPAN_ID ? '0000000000000001' : id;
}

