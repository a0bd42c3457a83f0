/**
 * Redaction of url.query before it leaves the node. NGINX only records the
 * query when $tracing_record_query is on; even then a query routinely carries
 * tokens, so the default replaces every value and keeps only the keys.
 *
 * - "all" (default): every value becomes REDACTED ("a=1&b" -> "a=REDACTED&b").
 * - "sensitive": only values of keys that commonly hold credentials: the keys
 *   the OpenTelemetry HTTP conventions name for url.query (AWSAccessKeyId,
 *   Signature, sig, X-Goog-Signature) plus common token/password names.
 * - "none": the query as NGINX recorded it.
 */
import type { QueryRedaction } from '../config.js';

export const REDACTED = 'REDACTED';

const SENSITIVE_KEYS = new Set(
  [
    'awsaccesskeyid', 'signature', 'sig', 'x-goog-signature', 'x-amz-signature', 'x-amz-credential',
    'x-amz-security-token', 'token', 'access_token', 'id_token', 'refresh_token', 'api_key', 'apikey',
    'key', 'secret', 'client_secret', 'password', 'passwd', 'pwd', 'auth', 'code', 'session', 'sessionid',
  ],
);

function isSensitive(key: string): boolean {
  let decoded = key;
  try {
    decoded = decodeURIComponent(key);
  } catch {
    // keep the raw key: a malformed escape cannot hide a sensitive name we know
  }
  return SENSITIVE_KEYS.has(decoded.toLowerCase());
}

export function redactQuery(query: string, mode: QueryRedaction): string {
  if (mode === 'none' || query === '') return query;
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const key = pair.slice(0, equals);
      return mode === 'all' || isSensitive(key) ? `${key}=${REDACTED}` : pair;
    })
    .join('&');
}
