/**
 * Parse one span record line (from the file sink or a syslog datagram) into a
 * typed, validated SpanRecord. Never throws: bad input returns a reason.
 */
import { MAX_RECORD_BYTES, RECORD_FIELDS, RECORD_VERSION, type FieldSpec, type RawRecord } from './fields.js';
import { OPTIONAL_KEYS_V1, RECORD_KEYS_V1 } from './fields-v1.js';
import { RECORD_LAYOUT_V2, type LayoutField } from './fields-v2.js';
import { parseUpstreamAttempts, type UpstreamAttempt } from './upstream-list.js';

export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Empty when the request started a new trace. */
  parentSpanId: string;
  clientSpanId: string;
  traceFlags: number;
  traceState: string;
  link: { traceId: string; spanId: string } | null;
  incomingFormat: string;
  rejectedHeaders: string[];
  /** Unix epoch milliseconds. */
  startMs: number;
  endMs: number;
  /** When nginx built the upstream request (after reading a buffered body); null if unknown. */
  upstreamStartMs: number | null;
  method: string;
  scheme: string;
  host: string;
  path: string;
  query: string;
  route: string;
  status: number;
  clientAddress: string;
  clientPort: number;
  serverPort: number;
  userAgent: string;
  /** "1.1", "2", ... as network.protocol.version wants it. */
  protocolVersion: string;
  requestBytes: number;
  responseBytes: number;
  upstream: UpstreamAttempt[];
  kubernetes: { namespace: string; ingress: string; service: string; servicePort: string };
  /** Set when our njs code failed for this request and fell back to a new trace. */
  error: string;
  /** "grpc" for a gRPC request, else empty. */
  rpcSystem: string;
  /** gRPC status code of the response; null when none was received. */
  grpcStatus: number | null;
}

/** Why a record was refused, as a stable code for metrics labels. */
export type RejectCode =
  | 'too_long'
  | 'not_json'
  | 'version'
  | 'missing_field'
  | 'bad_id'
  | 'bad_flags'
  | 'bad_time'
  | 'bad_status';

export type ParseResult = { ok: true; record: SpanRecord } | { ok: false; code: RejectCode; reason: string };

const TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;
const SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;
const FLAGS = /^[0-9a-f]{2}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

function fail(code: RejectCode, reason: string): ParseResult {
  return { ok: false, code, reason };
}

/** nginx writes "-" for a variable with no value; treat it as empty. */
function text(value: string): string {
  return value === '-' ? '' : value;
}

/** "grpc:14" -> gRPC with status 14; "grpc:" -> gRPC without a status; anything else -> not gRPC. */
function rpcFields(value: string): Pick<SpanRecord, 'rpcSystem' | 'grpcStatus'> {
  const match = /^grpc:(\d{1,2})?$/.exec(value);
  if (!match) return { rpcSystem: '', grpcStatus: null };
  return { rpcSystem: 'grpc', grpcStatus: match[1] === undefined ? null : Number(match[1]) };
}

function integer(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : 0;
}

/** "HTTP/1.1" -> "1.1", "HTTP/2.0" -> "2" (OpenTelemetry network.protocol.version). */
function protocolVersion(serverProtocol: string): string {
  const version = serverProtocol.replace(/^HTTP\//, '');
  return version === '2.0' ? '2' : version === '3.0' ? '3' : version;
}

/** Syslog datagrams carry "<PRI>timestamp tag: " before the JSON. */
function jsonPart(line: string): string {
  const start = line.indexOf('{');
  return start < 0 ? '' : line.slice(start).trimEnd();
}

/** Split a joined field into its parts; the last part takes the rest (it may hold the separator). */
function splitParts(value: string, separator: string, count: number): string[] | null {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < count - 1; i++) {
    const end = value.indexOf(separator, start);
    if (end < 0) return null;
    parts.push(value.slice(start, end));
    start = end + separator.length;
  }
  parts.push(value.slice(start));
  return parts;
}

/** The current version's fields as a layout (part keys per field). */
const LAYOUT: readonly LayoutField[] = (RECORD_FIELDS as readonly FieldSpec[]).map((field) => ({
  ...field,
  parts: field.parts.map((part) => part.key),
}));

/** Versions 2 and 3: joined fields, split into the parts the rest of the parser reads by name (absent ones empty). */
function valuesJoined(raw: Record<string, unknown>, layout: readonly LayoutField[]): RawRecord | [RejectCode, string] {
  const values: Record<string, string> = { spt: '', cpt: '' };
  for (const field of layout) {
    const value = raw[field.key];
    if (value === undefined && field.optional) {
      for (const part of field.parts) values[part] = '';
      continue;
    }
    if (typeof value !== 'string') return ['missing_field', `field ${field.key} missing or not a string`];
    const parts = splitParts(value, field.separator ?? '', field.parts.length);
    if (parts === null) return ['missing_field', `field ${field.key} has fewer than ${field.parts.length} parts`];
    field.parts.forEach((part, i) => (values[part] = parts[i]));
  }
  // Version 3: both span ids in one value, the CLIENT span's first (a wrong length fails their checks).
  if (values.rid !== undefined) [values.cid, values.sid] = [values.rid.slice(0, 16), values.rid.slice(16)];
  return values as RawRecord;
}

/** Version 1 (includes older than issue 7r): one string per value. */
function valuesV1(raw: Record<string, unknown>): RawRecord | [RejectCode, string] {
  const values: Record<string, string> = {};
  for (const key of RECORD_KEYS_V1) {
    const value = raw[key];
    if (typeof value === 'string') values[key] = value;
    else if (value === undefined && OPTIONAL_KEYS_V1.includes(key)) values[key] = '';
    else return ['missing_field', `field ${key} missing or not a string`];
  }
  return values as RawRecord;
}

function decode(line: string): { raw: RawRecord; version: number } | [RejectCode, string] {
  if (line.length > MAX_RECORD_BYTES) return ['too_long', `record longer than ${MAX_RECORD_BYTES} bytes`];
  const json = jsonPart(line);
  if (json === '') return ['not_json', 'no JSON object in record'];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return ['not_json', 'record is not valid JSON'];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['not_json', 'record is not a JSON object'];
  const raw = value as Record<string, unknown>;
  // Never stringify what came in: a deeply nested value would overflow the stack.
  const values =
    raw.v === RECORD_VERSION ? valuesJoined(raw, LAYOUT) : raw.v === 2 ? valuesJoined(raw, RECORD_LAYOUT_V2) : raw.v === 1 ? valuesV1(raw) : null;
  if (values !== null) return Array.isArray(values) ? values : { raw: values, version: raw.v as number };
  return ['version', `unsupported record version (${typeof raw.v})`];
}

/** The default port of a scheme: what a Host header without a port means (RFC 9110). */
function defaultPort(scheme: string): number {
  return scheme === 'https' ? 443 : scheme === 'http' ? 80 : 0;
}

/**
 * server.address and server.port. Version 3 writes the Host header ("name",
 * "name:port", "[v6]:port"): the name lower-cased as nginx's $host is, the
 * port the one in the header, else the scheme's default. Older versions wrote
 * $host and the port nginx listened on.
 */
function serverOf(raw: RawRecord, v3: boolean): { host: string; serverPort: number } {
  const host = text(raw.host);
  if (!v3) return { host, serverPort: integer(raw.spt) };
  if (host === '') return { host, serverPort: 0 };
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(host);
  if (!match) return { host: host.toLowerCase(), serverPort: 0 };
  const name = match[1].toLowerCase().replace(/\.$/, '');
  return { host: name, serverPort: match[2] === undefined ? defaultPort(text(raw.sch)) : Number(match[2]) };
}

export function parseRecord(line: string): ParseResult {
  const decoded = decode(line);
  if (Array.isArray(decoded)) return fail(decoded[0], decoded[1]);
  const { raw, version } = decoded;
  const server = serverOf(raw, version >= 3);

  if (!TRACE_ID.test(raw.tid)) return fail('bad_id', `invalid trace id ${JSON.stringify(raw.tid)}`);
  for (const key of ['sid', 'cid'] as const) {
    if (!SPAN_ID.test(raw[key])) return fail('bad_id', `invalid span id in ${key}: ${JSON.stringify(raw[key])}`);
  }
  const parentSpanId = text(raw.pid);
  if (parentSpanId !== '' && !SPAN_ID.test(parentSpanId)) return fail('bad_id', `invalid parent span id ${JSON.stringify(raw.pid)}`);
  if (!FLAGS.test(raw.fl)) return fail('bad_flags', `invalid trace flags ${JSON.stringify(raw.fl)}`);
  const linkTraceId = text(raw.ltid);
  const linkSpanId = text(raw.lsid);
  const hasLink = linkTraceId !== '' || linkSpanId !== '';
  if (hasLink && !(TRACE_ID.test(linkTraceId) && SPAN_ID.test(linkSpanId))) return fail('bad_id', 'invalid span link ids');
  if (!DECIMAL.test(raw.end) || !DECIMAL.test(raw.dur)) return fail('bad_time', 'invalid end time or duration');
  if (!/^\d{3}$/.test(raw.st)) return fail('bad_status', `invalid status ${JSON.stringify(raw.st)}`);

  const endMs = Math.round(Number(raw.end) * 1000);
  const upstreamStartMs = DECIMAL.test(raw.ust) ? Math.round(Number(raw.ust) * 1000) : null;
  const durationMs = Math.round(Number(raw.dur) * 1000);
  const rejected = text(raw.bad);
  return {
    ok: true,
    record: {
      traceId: raw.tid,
      spanId: raw.sid,
      parentSpanId,
      clientSpanId: raw.cid,
      traceFlags: parseInt(raw.fl, 16),
      traceState: text(raw.tst),
      link: hasLink ? { traceId: linkTraceId, spanId: linkSpanId } : null,
      incomingFormat: text(raw.fmt),
      rejectedHeaders: rejected === '' ? [] : rejected.split(','),
      startMs: endMs - durationMs,
      endMs,
      upstreamStartMs,
      method: text(raw.meth),
      scheme: text(raw.sch),
      host: server.host,
      path: text(raw.path),
      query: text(raw.qry),
      route: text(raw.rte),
      status: Number(raw.st),
      clientAddress: text(raw.cip),
      clientPort: integer(raw.cpt),
      serverPort: server.serverPort,
      userAgent: text(raw.ua),
      protocolVersion: protocolVersion(text(raw.pv)),
      requestBytes: integer(raw.rqb),
      responseBytes: integer(raw.rsb),
      upstream: parseUpstreamAttempts(raw.ua_addr, raw.ua_st, raw.ua_ct, raw.ua_ht, raw.ua_rt),
      kubernetes: {
        namespace: text(raw.k_ns),
        ingress: text(raw.k_ing),
        service: text(raw.k_svc),
        servicePort: text(raw.k_port),
      },
      error: text(raw.err),
      ...rpcFields(raw.rpc),
    },
  };
}
