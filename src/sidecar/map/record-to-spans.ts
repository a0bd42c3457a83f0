/**
 * One span record -> the ingress SERVER span plus one CLIENT span per upstream
 * attempt, as MappedSpans (compact; ReadableSpans to any OpenTelemetry
 * exporter). Ids, parents and times are exactly what NGINX produced; nothing
 * here is random, so the same record always yields the same spans.
 *
 * Timing: NGINX reports the request's end and duration and, per attempt, its
 * connect/header/response durations, but not when each attempt began. The
 * attempts are laid back to back, each lasting its response time (or header,
 * or connect time when that is all NGINX measured), clamped inside the SERVER
 * span, starting:
 * - at `ust` (upstreamStartMs: when NGINX built the upstream request, after
 *   reading a buffered request body) when the record has it and it lies inside
 *   the SERVER span: a slow client upload then shows before the first attempt.
 *   nginx rounds every one of these times to the millisecond, so the attempts
 *   may add up to a little more than end - ust: the start then moves earlier
 *   (never before the request start) so each attempt keeps its own duration;
 * - else at the request start (older records, or no value): the upload time
 *   then appears inside the first attempt.
 */
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { SpanRecord } from '../../record/parse.js';
import type { UpstreamAttempt } from '../../record/upstream-list.js';
import * as attr from './attribute-names.js';
import type { QueryRedaction } from '../config.js';
import { redactQuery } from './query-redaction.js';
import { attemptSpanId } from './span-ids.js';
import { MappedSpan } from './mapped-span.js';
import { grpcCall, grpcClientError, grpcServerError, grpcSpanName, withGrpcAttributes } from './rpc-conventions.js';

export interface SpanMappingOptions {
  resource: Resource;
  scope: InstrumentationScope;
  queryRedaction: QueryRedaction;
}

/** Methods the HTTP conventions know; anything else is reported as _OTHER. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);

/**
 * Attribute objects are filled in place rather than built from spreads:
 * this runs for every span at tens of thousands of spans per second.
 */
function setMethod(attributes: Attributes, method: string): void {
  if (KNOWN_METHODS.has(method)) {
    attributes[attr.ATTR_HTTP_REQUEST_METHOD] = method;
  } else {
    attributes[attr.ATTR_HTTP_REQUEST_METHOD] = '_OTHER';
    attributes[attr.ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method;
  }
}

/** Sets only values that are present: empty strings, zero numbers and nulls are omitted. */
function setPresent(attributes: Attributes, key: string, value: string | number | null): void {
  if (value !== null && value !== '' && value !== 0) attributes[key] = value;
}

/** Span name per the HTTP conventions: "{method} {route}", "{method}", or "HTTP" for unknown methods. */
function serverSpanName(record: SpanRecord): string {
  const method = KNOWN_METHODS.has(record.method) ? record.method : 'HTTP';
  return record.route === '' ? method : `${method} ${record.route}`;
}

/** The ingress-nginx context; the port is a number when numeric (a Service port may also be a name). */
function setIngressContext(attributes: Attributes, record: SpanRecord, withIngress: boolean): void {
  const { namespace, ingress, service, servicePort } = record.kubernetes;
  setPresent(attributes, attr.ATTR_INGRESS_NAMESPACE, namespace);
  if (withIngress) setPresent(attributes, attr.ATTR_INGRESS_NAME, ingress);
  setPresent(attributes, attr.ATTR_INGRESS_SERVICE_NAME, service);
  setPresent(attributes, attr.ATTR_INGRESS_SERVICE_PORT, /^\d{1,5}$/.test(servicePort) ? Number(servicePort) : servicePort);
}

function serverAttributes(record: SpanRecord, redaction: QueryRedaction): Attributes {
  const attributes: Attributes = {};
  setMethod(attributes, record.method);
  setPresent(attributes, attr.ATTR_URL_PATH, record.path);
  setPresent(attributes, attr.ATTR_URL_SCHEME, record.scheme);
  setPresent(attributes, attr.ATTR_URL_QUERY, redactQuery(record.query, redaction));
  setPresent(attributes, attr.ATTR_HTTP_ROUTE, record.route);
  setPresent(attributes, attr.ATTR_HTTP_RESPONSE_STATUS_CODE, record.status);
  setPresent(attributes, attr.ATTR_SERVER_ADDRESS, record.host);
  setPresent(attributes, attr.ATTR_SERVER_PORT, record.serverPort);
  setPresent(attributes, attr.ATTR_CLIENT_ADDRESS, record.clientAddress);
  setPresent(attributes, attr.ATTR_CLIENT_PORT, record.clientPort);
  setPresent(attributes, attr.ATTR_USER_AGENT_ORIGINAL, record.userAgent);
  setPresent(attributes, attr.ATTR_NETWORK_PROTOCOL_VERSION, record.protocolVersion);
  setPresent(attributes, attr.ATTR_HTTP_REQUEST_SIZE, record.requestBytes);
  setPresent(attributes, attr.ATTR_HTTP_RESPONSE_SIZE, record.responseBytes);
  if (record.status >= 500) attributes[attr.ATTR_ERROR_TYPE] = String(record.status);
  setIngressContext(attributes, record, true);
  setPresent(attributes, attr.ATTR_INCOMING_FORMAT, record.incomingFormat);
  setPresent(attributes, attr.ATTR_NJS_ERROR, record.error);
  if (record.rejectedHeaders.length > 0) attributes[attr.ATTR_REJECTED_HEADERS] = record.rejectedHeaders;
  return attributes;
}

/** "10.0.0.7:8080", "[::1]:8080", "unix:/run/app.sock" or an upstream group name. */
function setPeer(attributes: Attributes, address: string): void {
  if (address.startsWith('unix:')) {
    attributes[attr.ATTR_NETWORK_TRANSPORT] = 'unix';
    attributes[attr.ATTR_NETWORK_PEER_ADDRESS] = address.slice(5);
    return;
  }
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match) {
    attributes[attr.ATTR_SERVER_ADDRESS] = address;
    return;
  }
  const port = Number(match[2]);
  attributes[attr.ATTR_SERVER_ADDRESS] = match[1];
  attributes[attr.ATTR_SERVER_PORT] = port;
  attributes[attr.ATTR_NETWORK_PEER_ADDRESS] = match[1];
  attributes[attr.ATTR_NETWORK_PEER_PORT] = port;
}

function attemptDurationMs(attempt: UpstreamAttempt): number {
  return attempt.responseMs ?? attempt.headerMs ?? attempt.connectMs ?? 0;
}

/**
 * Why an attempt failed, or null. nginx logs a status it made up itself (502
 * refused or reset, 504 timed out) when an attempt got no response; a null
 * header time tells those apart from a real 502/504 sent by the upstream.
 * Per the HTTP conventions a CLIENT span fails for any status >= 400.
 */
function attemptErrorType(attempt: UpstreamAttempt): string | null {
  if (attempt.headerMs === null || attempt.status === 0) {
    if (attempt.connectMs === null) return 'connect_error';
    return attempt.status === 504 ? 'timeout' : 'no_response';
  }
  return attempt.status >= 400 ? String(attempt.status) : null;
}

function clientAttributes(record: SpanRecord, attempt: UpstreamAttempt, index: number, errorType: string | null): Attributes {
  const attributes: Attributes = {};
  setMethod(attributes, record.method);
  setPeer(attributes, attempt.address);
  attributes[attr.ATTR_UPSTREAM_ADDRESS] = attempt.address;
  // Only a status the upstream sent; not one nginx made up for a missing response.
  const answered = attempt.headerMs !== null;
  if (answered) setPresent(attributes, attr.ATTR_HTTP_RESPONSE_STATUS_CODE, attempt.status);
  setPresent(attributes, attr.ATTR_HTTP_REQUEST_RESEND_COUNT, index);
  if (errorType !== null) attributes[attr.ATTR_ERROR_TYPE] = errorType;
  // Zero is a real measurement here (a reused keepalive connection connects in 0 ms).
  if (attempt.connectMs !== null) attributes[attr.ATTR_UPSTREAM_CONNECT_MS] = attempt.connectMs;
  if (attempt.headerMs !== null) attributes[attr.ATTR_UPSTREAM_HEADER_MS] = attempt.headerMs;
  if (attempt.responseMs !== null) attributes[attr.ATTR_UPSTREAM_RESPONSE_MS] = attempt.responseMs;
  setIngressContext(attributes, record, false);
  return attributes;
}

/** See the header comment: `ust` when it is known and inside the SERVER span, else the request start. */
function firstAttemptStartMs(record: SpanRecord, endMs: number): number {
  // `?? null`: records parsed before the field existed have no upstreamStartMs at all.
  const upstreamStartMs = record.upstreamStartMs ?? null;
  if (upstreamStartMs === null || upstreamStartMs < record.startMs || upstreamStartMs > endMs) return record.startMs;
  let attemptsMs = 0;
  for (const attempt of record.upstream) attemptsMs += attemptDurationMs(attempt);
  return Math.max(record.startMs, Math.min(upstreamStartMs, endMs - attemptsMs));
}

export function recordToSpans(record: SpanRecord, options: SpanMappingOptions): MappedSpan[] {
  const { resource, scope } = options;
  const { traceId, traceFlags } = record;
  const traceState = record.traceState === '' ? undefined : new TraceState(record.traceState);
  const endMs = Math.max(record.startMs, record.endMs);
  const grpc = grpcCall(record);
  const link = record.link;
  const spans: MappedSpan[] = [
    new MappedSpan(
      grpcSpanName(grpc, serverSpanName(record)),
      SpanKind.SERVER,
      traceId,
      record.spanId,
      record.parentSpanId,
      true,
      traceFlags,
      traceState,
      record.startMs,
      endMs,
      record.status >= 500 || grpcServerError(grpc),
      withGrpcAttributes(serverAttributes(record, options.queryRedaction), grpc, true),
      link ? link.traceId : '',
      link ? link.spanId : '',
      resource,
      scope,
    ),
  ];

  const attempts = record.upstream;
  const clientName = grpcSpanName(grpc, KNOWN_METHODS.has(record.method) ? record.method : 'HTTP');
  let cursorMs = firstAttemptStartMs(record, endMs);
  for (let index = 0; index < attempts.length; index++) {
    const attempt = attempts[index];
    const startMs = Math.min(cursorMs, endMs);
    const attemptEndMs = Math.min(startMs + attemptDurationMs(attempt), endMs);
    cursorMs = attemptEndMs;
    const errorType = attemptErrorType(attempt);
    const last = index === attempts.length - 1; // the attempt whose response (and grpc-status) NGINX passed on
    spans.push(
      new MappedSpan(
        clientName,
        SpanKind.CLIENT,
        traceId,
        attemptSpanId(record.clientSpanId, index, attempts.length),
        record.spanId,
        false,
        traceFlags,
        traceState,
        startMs,
        attemptEndMs,
        errorType !== null || (last && grpcClientError(grpc)),
        withGrpcAttributes(clientAttributes(record, attempt, index, errorType), grpc, last),
        '',
        '',
        resource,
        scope,
      ),
    );
  }
  return spans;
}
