/**
 * The span record: one line of JSON that NGINX itself writes (log_format
 * escape=json) for every sampled request, and for unsampled ones whose trace
 * headers were rejected or whose njs step failed (the sidecar counts those and
 * exports nothing for them). This table is the single source of the format:
 * the build renders the nginx `log_format` and the maps that bound client
 * values from it, and the sidecar parses records with it. Change a field here,
 * bump RECORD_VERSION (and keep reading the old versions: fields-v1.ts,
 * fields-v2.ts).
 *
 * Every field is a JSON string, so a "-" or an empty variable can never break
 * the line; escape=json makes quotes, backslashes and control characters from
 * client input harmless, so no header can end a record early or forge another.
 *
 * Version 2 writes values that are safe by construction (hex ids, flags,
 * numbers, words nginx or our maps produce, Kubernetes names) joined by a
 * delimiter none of them can contain, several to a field: each field costs
 * nginx ~90 instructions plus its key, whatever it holds. Client values keep a
 * field each. The last part of a joined field takes the rest of the string,
 * so it is where a value whose bytes are not fully ours goes ($remote_addr,
 * $upstream_addr).
 *
 * Version 3 leaves out the two ports nginx formats itself ($server_port,
 * $remote_port: ~1,100 instructions a record): the HTTP server conventions
 * take server.port from the Host header (so `host` is now that header, port
 * included; the sidecar splits it) and make client.port Opt-In. It writes
 * both span ids as the $request_id they are the halves of, the times, words
 * and numbers in one field and the client values in another (a field
 * boundary costs ~70 instructions). Versions 1 and 2 are still read
 * (fields-v1.ts, fields-v2.ts).
 */

export const RECORD_VERSION = 3;

/** A client value's bound, applied by one regex map (src/record/bounds.ts renders it). */
export interface Cap {
  /** The nginx variable bounded. */
  from: string;
  /** At most this many bytes of it are written. */
  bytes: number;
  /** Characters the value stops at (the path ends at the query). */
  stopAt?: string;
  /**
   * Written only when this on/off knob is on; the value is what follows the
   * previous part's stopAt character in the same variable (the query after
   * the path).
   */
  gate?: string;
}

export interface PartSpec {
  /** Name of the value (v1's JSON key; the parser's RawRecord key). */
  key: string;
  /** What nginx writes: a variable or a complex value. Capped parts: filled in from `cap`. */
  nginx: string;
  /** What the value means, for the README and the parser's errors. */
  doc: string;
  cap?: Cap;
  /**
   * Written through one lookup keyed on the mode and the record's knobs
   * (src/conf/fragments/record-context.ts): the modes the mode lookup decides alone know
   * these values without reading them. Such parts end their field.
   */
  byMode?: true;
}

export interface FieldSpec {
  /** JSON key, short because it is written once per request. */
  key: string;
  /** The values written into this field, joined by `separator`. */
  parts: readonly PartSpec[];
  separator?: string;
  /**
   * Added without a version bump: records without it stay valid (its values
   * are then empty), so old includes and a new sidecar, or the reverse, still
   * understand each other during an upgrade.
   */
  optional?: true;
}

/** The variable a capped part is written from (a named capture of the bounds map). */
export const capVariable = (key: string): string => `$tracing__cap_${key}`;

/** Record fields in the order nginx writes them. */
export const RECORD_FIELDS = [
  {
    key: 'id',
    separator: ' ',
    parts: [
      { key: 'tid', nginx: '$tracing_trace_id', doc: 'trace id, 32 lowercase hex' },
      // One value, not "$tracing__rid$tracing__rid_low $tracing__rid_high": a variable fewer (~170 instructions each).
      { key: 'rid', nginx: '$request_id', doc: 'the span ids, 32 hex: upstream CLIENT span id (the parent id injected upstream, $tracing__rid_high), then ingress SERVER span id ($tracing__rid_low)' },
      { key: 'fl', nginx: '$tracing__flags', doc: 'W3C trace flags we propagated, 2 hex' },
      { key: 'bad', nginx: '$tracing__rejected', doc: 'incoming trace headers rejected as invalid, comma separated' },
      { key: 'pid', nginx: '$tracing__parent_id', doc: 'parent span id from the trusted incoming context, or empty', byMode: true },
      { key: 'ltid', nginx: '$tracing__link_trace_id', doc: 'distrusted incoming trace id, kept as a span link', byMode: true },
      { key: 'lsid', nginx: '$tracing__link_span_id', doc: 'distrusted incoming span id, kept as a span link', byMode: true },
      { key: 'fmt', nginx: '$tracing__incoming_format', doc: 'format the incoming context came in: w3c, b3, b3multi, jaeger or empty', byMode: true },
      { key: 'err', nginx: '$tracing__error', doc: 'error code when our njs code failed and fell back, or config for an invalid knob; else empty', byMode: true },
      // Last: a valid tracestate may hold spaces (escape=json takes care of the rest).
      { key: 'tst', nginx: '$tracing__tracestate', doc: 'tracestate we propagated (validated, at most 512 bytes)', byMode: true },
    ],
  },
  {
    // Times, then words and numbers nginx writes (none holds a space); the client address last.
    key: 'n',
    separator: ' ',
    parts: [
      { key: 'end', nginx: '$msec', doc: 'end of the request, unix seconds with ms' },
      { key: 'dur', nginx: '$request_time', doc: 'request duration in seconds with ms' },
      { key: 'ust', nginx: '$tracing__upstream_start', doc: 'when nginx built the upstream request, unix seconds with ms' },
      { key: 'rpc', nginx: '$tracing__rpc', doc: 'gRPC requests (Content-Type application/grpc...): "grpc:" and the grpc-status of the response (0-99) if one came; else empty' },
      { key: 'st', nginx: '$status', doc: 'response status' },
      { key: 'sch', nginx: '$scheme', doc: 'http or https' },
      { key: 'pv', nginx: '$server_protocol', doc: 'HTTP/1.0, HTTP/1.1, HTTP/2.0' },
      { key: 'rqb', nginx: '$request_length', doc: 'request size in bytes (line, headers, body)' },
      { key: 'rsb', nginx: '$bytes_sent', doc: 'response size in bytes (headers and body)' },
      { key: 'cip', nginx: '$remote_addr', doc: 'client address' },
    ],
  },
  {
    key: 'u',
    separator: '|',
    parts: [
      { key: 'ua_st', nginx: '$upstream_status', doc: 'upstream status per attempt (nginx list syntax: ", " and " : ")' },
      { key: 'ua_ct', nginx: '$upstream_connect_time', doc: 'upstream connect time per attempt, seconds' },
      { key: 'ua_ht', nginx: '$upstream_header_time', doc: 'upstream time to response header per attempt, seconds' },
      { key: 'ua_rt', nginx: '$upstream_response_time', doc: 'upstream total response time per attempt, seconds' },
      { key: 'ua_addr', nginx: '$upstream_addr', doc: 'upstream addresses per attempt' },
    ],
  },
  {
    key: 'k',
    separator: ' ',
    parts: [
      { key: 'k_ns', nginx: '$namespace', doc: 'ingress-nginx: namespace of the Ingress' },
      { key: 'k_ing', nginx: '$ingress_name', doc: 'ingress-nginx: Ingress name' },
      { key: 'k_svc', nginx: '$service_name', doc: 'ingress-nginx: backend Service name' },
      { key: 'k_port', nginx: '$service_port', doc: 'ingress-nginx: backend Service port' },
    ],
  },
  {
    // The client values, each bounded by the regex map of bounds.ts. None can hold a "\n" but the route,
    // which comes last and takes the rest; escape=json writes a "\n" inside a value as the separator is
    // written, so only the route may hold one. One field, not six: a field boundary costs ~70 instructions.
    key: 'c',
    separator: '\n',
    parts: [
      { key: 'meth', nginx: '', doc: 'HTTP method', cap: { from: '$request_method', bytes: 32 } },
      // A host name (<= 253 bytes) and ":" and a port fit; the sidecar splits them (server.address, server.port).
      { key: 'host', nginx: '', doc: 'Host header as sent, with its port if any', cap: { from: '$http_host', bytes: 261 } },
      { key: 'path', nginx: '', doc: 'request path as sent, no query', cap: { from: '$request_uri', bytes: 1024, stopAt: '?' } },
      { key: 'qry', nginx: '', doc: 'query string as sent, when $tracing_record_query is on; redacted by the sidecar', cap: { from: '$request_uri', bytes: 512, gate: '$tracing_record_query' } },
      { key: 'ua', nginx: '', doc: 'User-Agent', cap: { from: '$http_user_agent', bytes: 256 } },
      { key: 'rte', nginx: '', doc: 'route template ($tracing_route, by default $location_path)', cap: { from: '$tracing_route', bytes: 256 } },
    ],
  },
] as const satisfies readonly FieldSpec[];

export type FieldKey = (typeof RECORD_FIELDS)[number]['key'];
export type RecordKey = (typeof RECORD_FIELDS)[number]['parts'][number]['key'];
/**
 * Parts only older versions write (v1, v2): the server and the client port,
 * the span ids one by one (version 3 writes them as `rid`, the parser splits it).
 */
export type LegacyKey = 'spt' | 'cpt' | 'sid' | 'cid';

/**
 * A record's values by part key, as the parser reads them: every value a
 * string (missing ones empty). `host` is the Host header with its port in
 * version 3, nginx's $host (no port) before; `spt`/`cpt` are empty in v3,
 * `sid`/`cid` the halves of its `rid`.
 */
export type RawRecord = Record<RecordKey | LegacyKey, string>;

/** The variable that writes a record's byMode parts in one lookup (src/conf/fragments/record-context.ts renders it). */
export const BY_MODE_VARIABLE = '$tracing__record_ctx';

/** Every part, in the order nginx writes them. */
export const RECORD_PARTS: readonly PartSpec[] = (RECORD_FIELDS as readonly FieldSpec[]).flatMap((field) => field.parts);

/** Longest value nginx's own numbers and words take in a joined field (ids, times, sizes, statuses, words). */
const SAFE_PART_BYTES = 64;

/**
 * Upper bound of one record in bytes: every capped value at its cap, each byte
 * escaped to 6 ("\u0001"), the tracestate at its 512 bytes (validated
 * before), the other values at their longest (64 bytes each, short by
 * construction), the keys and delimiters, and room for upstream lists of
 * ~100 attempts (nginx's own lists are bounded by proxy_next_upstream_tries).
 * The sidecar refuses longer lines. Well inside one UDP datagram (65,507
 * bytes): nginx's syslog sink sends a record whole, with its ~60-byte header.
 */
export const MAX_RECORD_BYTES = (() => {
  const capped = RECORD_PARTS.reduce((sum, part) => sum + (part.cap?.bytes ?? 0), 0) + 512;
  const others = RECORD_PARTS.filter((part) => !part.cap && part.key !== 'tst').length * SAFE_PART_BYTES;
  const upstreamLists = 100 * 5 * 24;
  return 6 * capped + others + upstreamLists + 512;
})();
