/**
 * The span record: one line of JSON that NGINX itself writes (log_format
 * escape=json) for every sampled request, and for unsampled ones whose trace
 * headers were rejected or whose njs step failed (the sidecar counts those and
 * exports nothing for them). This table is the single source of
 * the format: the build renders the nginx `log_format` from it and the sidecar
 * parses records with it. Change a field here, bump RECORD_VERSION.
 *
 * Every value is written as a JSON string so a "-" or an empty variable can
 * never break the line; escape=json makes quotes, backslashes and control
 * characters from client input harmless, so no header can end a record early
 * or forge another one.
 */

export const RECORD_VERSION = 1;

/**
 * Upper bound of one record in bytes. The client-controlled fields are capped
 * in tracing-http.conf (path 1024, query 512, tracestate 512, user agent 256,
 * route 256, host 255, method 32 bytes); the upstream lists grow only with
 * the attempts the configuration allows (proxy_next_upstream_tries), and
 * escape=json writes a control byte as 6 ("\u0001") and a quote as 2: at most
 * 6 x 2,847 bytes of values plus ~600 bytes of keys and fixed fields, with
 * room for upstream lists of ~100 attempts.
 */
export const MAX_RECORD_BYTES = 27_000;

export interface FieldSpec {
  /** JSON key, short because it is written once per request. */
  key: string;
  /** What nginx writes: a variable or a complex value. */
  nginx: string;
  /** What the value means, for the README and the parser's errors. */
  doc: string;
  /**
   * Added after RECORD_VERSION 1 without a bump: records without it stay
   * valid (the value is then empty), so old includes and a new sidecar, or
   * the reverse, still understand each other during an upgrade.
   */
  optional?: true;
}

/** Record fields in the order nginx writes them. */
export const RECORD_FIELDS = [
  { key: 'tid', nginx: '$tracing_trace_id', doc: 'trace id, 32 lowercase hex' },
  { key: 'sid', nginx: '$tracing__rid$tracing__rid_low', doc: 'ingress SERVER span id, 16 hex' },
  { key: 'pid', nginx: '$tracing_parent_id', doc: 'parent span id from the trusted incoming context, or empty' },
  { key: 'cid', nginx: '$tracing__rid$tracing__rid_high', doc: 'upstream CLIENT span id: the parent id injected upstream' },
  { key: 'fl', nginx: '$tracing_flags', doc: 'W3C trace flags we propagated, 2 hex' },
  { key: 'tst', nginx: '$tracing_tracestate', doc: 'tracestate we propagated (validated, at most 512 bytes)' },
  { key: 'ltid', nginx: '$tracing_link_trace_id', doc: 'distrusted incoming trace id, kept as a span link' },
  { key: 'lsid', nginx: '$tracing_link_span_id', doc: 'distrusted incoming span id, kept as a span link' },
  { key: 'fmt', nginx: '$tracing_incoming_format', doc: 'format the incoming context came in: w3c, b3, b3multi, jaeger or empty' },
  { key: 'bad', nginx: '$tracing_rejected', doc: 'incoming trace headers rejected as invalid, comma separated' },
  { key: 'end', nginx: '$msec', doc: 'end of the request, unix seconds with ms' },
  { key: 'ust', nginx: '$tracing_upstream_start', doc: 'when nginx built the upstream request, unix seconds with ms' },
  { key: 'dur', nginx: '$request_time', doc: 'request duration in seconds with ms' },
  { key: 'meth', nginx: '$tracing_method', doc: 'HTTP method, at most 32 bytes' },
  { key: 'sch', nginx: '$scheme', doc: 'http or https' },
  { key: 'host', nginx: '$tracing_host', doc: 'Host, at most 255 bytes' },
  { key: 'path', nginx: '$tracing_path', doc: 'request path as sent, no query, at most 1024 bytes' },
  { key: 'qry', nginx: '$tracing_query', doc: 'query string when $tracing_record_query is on, at most 512 bytes; redacted by the sidecar' },
  { key: 'rte', nginx: '$tracing_route_value', doc: 'route template ($tracing_route, by default $location_path)' },
  { key: 'st', nginx: '$status', doc: 'response status' },
  { key: 'cip', nginx: '$remote_addr', doc: 'client address' },
  { key: 'cpt', nginx: '$remote_port', doc: 'client port' },
  { key: 'spt', nginx: '$server_port', doc: 'server port' },
  { key: 'ua', nginx: '$tracing_user_agent', doc: 'User-Agent, at most 256 bytes' },
  { key: 'pv', nginx: '$server_protocol', doc: 'HTTP/1.0, HTTP/1.1, HTTP/2.0' },
  { key: 'rqb', nginx: '$request_length', doc: 'request size in bytes (line, headers, body)' },
  { key: 'rsb', nginx: '$bytes_sent', doc: 'response size in bytes (headers and body)' },
  { key: 'ua_addr', nginx: '$upstream_addr', doc: 'upstream addresses per attempt (nginx list syntax)' },
  { key: 'ua_st', nginx: '$upstream_status', doc: 'upstream status per attempt' },
  { key: 'ua_ct', nginx: '$upstream_connect_time', doc: 'upstream connect time per attempt, seconds' },
  { key: 'ua_ht', nginx: '$upstream_header_time', doc: 'upstream time to response header per attempt, seconds' },
  { key: 'ua_rt', nginx: '$upstream_response_time', doc: 'upstream total response time per attempt, seconds' },
  { key: 'k_ns', nginx: '$namespace', doc: 'ingress-nginx: namespace of the Ingress' },
  { key: 'k_ing', nginx: '$ingress_name', doc: 'ingress-nginx: Ingress name' },
  { key: 'k_svc', nginx: '$service_name', doc: 'ingress-nginx: backend Service name' },
  { key: 'k_port', nginx: '$service_port', doc: 'ingress-nginx: backend Service port' },
  { key: 'err', nginx: '$tracing_error', doc: 'error code when our njs code failed and fell back, else empty' },
  { key: 'rpc', nginx: '$tracing_rpc', doc: 'gRPC requests (Content-Type application/grpc...): "grpc:" and the grpc-status of the response (0-99) if one came; else empty', optional: true },
] as const satisfies readonly FieldSpec[];

export type RecordKey = (typeof RECORD_FIELDS)[number]['key'];

/** A record as it arrives: every field a string (missing ones empty). */
export type RawRecord = { v: number } & Record<RecordKey, string>;
