/**
 * OTLP ExportTraceServiceRequest (protobuf) written straight from MappedSpans
 * with protobufjs's Writer; the field numbers are those of the official
 * opentelemetry-proto files (trace/v1/trace.proto, common/v1/common.proto).
 * It writes the same bytes the OpenTelemetry project's
 * ProtobufTraceSerializer writes for the same spans (test/sidecar/export/
 * otlp-encode.test.ts compares both, and their decoded messages), without its second pass
 * and per-span ReadableSpan objects: the resource and scope are encoded once,
 * attribute keys are cached as bytes, and lengths of small values are
 * computed instead of forking the writer.
 */
import protobuf from 'protobufjs/minimal.js';
import { SpanKind, type AttributeValue, type Attributes } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { DISTRUSTED_LINK_ATTRIBUTES, type MappedSpan } from '../map/mapped-span.js';

type Writer = protobuf.Writer;

/** Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
const TAG = {
  requestResourceSpans: (1 << 3) | 2,
  resourceSpansResource: (1 << 3) | 2,
  resourceSpansScopeSpans: (2 << 3) | 2,
  scopeSpansScope: (1 << 3) | 2,
  scopeSpansSpan: (2 << 3) | 2,
  spanTraceId: (1 << 3) | 2,
  spanSpanId: (2 << 3) | 2,
  spanTraceState: (3 << 3) | 2,
  spanParentSpanId: (4 << 3) | 2,
  spanName: (5 << 3) | 2,
  spanKind: (6 << 3) | 0,
  spanStart: (7 << 3) | 1,
  spanEnd: (8 << 3) | 1,
  spanAttribute: (9 << 3) | 2,
  spanDroppedAttributes: (10 << 3) | 0,
  spanDroppedEvents: (12 << 3) | 0,
  spanLink: (13 << 3) | 2,
  spanDroppedLinks: (14 << 3) | 0,
  spanStatus: (15 << 3) | 2,
  spanFlags: (16 << 3) | 5,
  linkTraceId: (1 << 3) | 2,
  linkSpanId: (2 << 3) | 2,
  linkAttribute: (4 << 3) | 2,
  linkDroppedAttributes: (5 << 3) | 0,
  linkFlags: (6 << 3) | 5,
  statusCode: (3 << 3) | 0,
  keyValueKey: (1 << 3) | 2,
  keyValueValue: (2 << 3) | 2,
  anyString: (1 << 3) | 2,
  anyBool: (2 << 3) | 0,
  anyInt: (3 << 3) | 0,
  anyDouble: (4 << 3) | 1,
  anyArray: (5 << 3) | 2,
  arrayValue: (1 << 3) | 2,
  resourceAttribute: (1 << 3) | 2,
  resourceDroppedAttributes: (2 << 3) | 0,
  scopeName: (1 << 3) | 2,
  scopeVersion: (2 << 3) | 2,
  scopeAttribute: (3 << 3) | 2,
} as const;

/** Span.flags (trace.proto): the W3C flags in the low byte, and whether the parent is remote. */
const FLAG_HAS_IS_REMOTE = 0x100;
const FLAG_IS_REMOTE = 0x200;

/** Attribute keys are a small fixed set: each is converted to UTF-8 once. */
const keyCache = new Map<string, Buffer>();
const MAX_CACHED_KEYS = 256;
function keyBytes(key: string): Buffer {
  let bytes = keyCache.get(key);
  if (bytes === undefined) {
    bytes = Buffer.from(key, 'utf8');
    if (keyCache.size < MAX_CACHED_KEYS) keyCache.set(key, bytes);
  }
  return bytes;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

/**
 * An AnyValue's encoded length when it can be known without writing it (a
 * string, a boolean, a non-negative safe integer, a double), else -1.
 */
function anyValueLength(value: AttributeValue): number {
  switch (typeof value) {
    case 'string': {
      const length = Buffer.byteLength(value, 'utf8');
      return 1 + varintLength(length) + length;
    }
    case 'boolean':
      return 2;
    case 'number':
      if (!Number.isInteger(value)) return 9;
      return value >= 0 && value <= Number.MAX_SAFE_INTEGER ? 1 + varintLength(value) : -1;
    default:
      return -1;
  }
}

/** The AnyValue's fields (without its own tag and length). */
function writeAnyValue(writer: Writer, value: AttributeValue | undefined): void {
  if (typeof value === 'string') writer.uint32(TAG.anyString).string(value);
  else if (typeof value === 'boolean') writer.uint32(TAG.anyBool).bool(value);
  else if (typeof value === 'number') {
    // As the SDK: integers in int64 range are int_value, anything else double_value.
    if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) writer.uint32(TAG.anyInt).int64(value);
    else writer.uint32(TAG.anyDouble).double(value);
  } else if (Array.isArray(value)) {
    writer.uint32(TAG.anyArray).fork();
    for (const item of value) {
      writer.uint32(TAG.arrayValue).fork();
      writeAnyValue(writer, item ?? undefined);
      writer.ldelim();
    }
    writer.ldelim();
  }
}

/** A KeyValue message's fields, written the general way. */
function writeKeyValue(writer: Writer, key: string, value: AttributeValue): void {
  writer.uint32(TAG.keyValueKey).bytes(keyBytes(key));
  const valueLength = anyValueLength(value);
  if (valueLength < 0) {
    writer.uint32(TAG.keyValueValue).fork();
    writeAnyValue(writer, value);
    writer.ldelim();
    return;
  }
  writer.uint32(TAG.keyValueValue).uint32(valueLength);
  writeAnyValue(writer, value);
}

/**
 * Encoded KeyValues of the values that repeat from span to span (method,
 * host, route, status, service, upstream address...): one copy instead of
 * ~8 writer operations per attribute. A key whose values do not repeat
 * (client port, sizes) fills its map and is not cached any more; every map
 * is emptied now and then, so what is cached follows the traffic.
 */
const MAX_VALUES_PER_KEY = 64;
const RESET_AFTER_SPANS = 200_000;
const kvCache = new Map<string, Map<AttributeValue, Buffer> | null>();
let spansSinceReset = 0;

function cachedKeyValue(key: string, value: AttributeValue): Buffer | null {
  if (typeof value === 'object') return null; // arrays: rare, and not usable as map keys
  let values = kvCache.get(key);
  if (values === null) return null;
  if (values === undefined) {
    if (kvCache.size >= MAX_CACHED_KEYS) return null;
    kvCache.set(key, (values = new Map()));
  }
  let bytes = values.get(value);
  if (bytes === undefined) {
    if (values.size >= MAX_VALUES_PER_KEY) {
      kvCache.set(key, null);
      return null;
    }
    const writer = protobuf.Writer.create();
    writeKeyValue(writer, key, value);
    bytes = writer.finish() as Buffer;
    values.set(value, bytes);
  }
  return bytes;
}

/** Repeated KeyValue under `tag`, in the object's key order (as the SDK writes them). */
function writeAttributes(writer: Writer, tag: number, attributes: Attributes): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    const cached = cachedKeyValue(key, value);
    if (cached !== null) {
      writer.uint32(tag).bytes(cached);
      continue;
    }
    const keyLength = keyBytes(key).length;
    const valueLength = anyValueLength(value);
    if (valueLength < 0) {
      writer.uint32(tag).fork();
      writeKeyValue(writer, key, value);
      writer.ldelim();
      continue;
    }
    writer.uint32(tag).uint32(1 + varintLength(keyLength) + keyLength + 1 + varintLength(valueLength) + valueLength);
    writer.uint32(TAG.keyValueKey).bytes(keyBytes(key)).uint32(TAG.keyValueValue).uint32(valueLength);
    writeAnyValue(writer, value);
  }
}

/**
 * Unix milliseconds as fixed64 nanoseconds, exact (the SDK's arithmetic on
 * [seconds, nanos]: a double cannot hold nanoseconds since 1970 exactly).
 */
function writeUnixNanos(writer: Writer, tag: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  const fromLow16 = (seconds & 0xffff) * 1e9;
  const fromHigh = ((seconds / 0x10000) >>> 0) * 1e9;
  const low = (fromLow16 >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = Math.floor(fromLow16 / 0x100000000) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  writer.uint32(tag).fixed32(low >>> 0).fixed32(high >>> 0);
}

function hexBytes(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

/**
 * The spans of one record follow each other: they share the trace id, and
 * each CLIENT span's parent is the SERVER span. Those conversions are kept
 * for the next span (the writer only reads a buffer until finish()).
 */
const lastIds: { traceHex: string; trace: Buffer; serverHex: string; server: Buffer } = { traceHex: '', trace: Buffer.alloc(0), serverHex: '', server: Buffer.alloc(0) };

function traceIdBytes(hex: string): Buffer {
  if (hex !== lastIds.traceHex) {
    lastIds.traceHex = hex;
    lastIds.trace = hexBytes(hex);
  }
  return lastIds.trace;
}

function writeSpan(writer: Writer, span: MappedSpan): void {
  writer.uint32(TAG.spanTraceId).bytes(traceIdBytes(span.traceId));
  const spanId = hexBytes(span.spanId);
  writer.uint32(TAG.spanSpanId).bytes(spanId);
  const traceState = span.traceState?.serialize();
  if (traceState) writer.uint32(TAG.spanTraceState).string(traceState);
  if (span.parentSpanId !== '') {
    const parent = span.parentSpanId === lastIds.serverHex ? lastIds.server : hexBytes(span.parentSpanId);
    writer.uint32(TAG.spanParentSpanId).bytes(parent);
  }
  if (span.kind === SpanKind.SERVER) {
    lastIds.serverHex = span.spanId;
    lastIds.server = spanId;
  }
  writer.uint32(TAG.spanName).string(span.name);
  // OTLP's SpanKind counts from 1 (0 is unspecified); the API's from 0.
  writer.uint32(TAG.spanKind).uint32(span.kind + 1);
  writeUnixNanos(writer, TAG.spanStart, span.startMs);
  writeUnixNanos(writer, TAG.spanEnd, span.endMs);
  writeAttributes(writer, TAG.spanAttribute, span.attributes);
  // The zero counts are written as the SDK writes them, so both encodings are the same bytes.
  writer.uint32(TAG.spanDroppedAttributes).uint32(0).uint32(TAG.spanDroppedEvents).uint32(0);
  if (span.linkTraceId !== '') {
    writer.uint32(TAG.spanLink).fork();
    writer.uint32(TAG.linkTraceId).bytes(hexBytes(span.linkTraceId));
    writer.uint32(TAG.linkSpanId).bytes(hexBytes(span.linkSpanId));
    writeAttributes(writer, TAG.linkAttribute, DISTRUSTED_LINK_ATTRIBUTES);
    writer.uint32(TAG.linkDroppedAttributes).uint32(0);
    // A link's context is remote with trace flags 00.
    writer.uint32(TAG.linkFlags).fixed32(FLAG_HAS_IS_REMOTE | FLAG_IS_REMOTE);
    writer.ldelim();
  }
  writer.uint32(TAG.spanDroppedLinks).uint32(0);
  // Status { code }: 0 unset, 2 error (the API's codes are OTLP's).
  writer.uint32(TAG.spanStatus).uint32(2).uint32(TAG.statusCode).uint32(span.error ? 2 : 0);
  const isRemote = span.parentSpanId !== '' && span.parentIsRemote;
  writer.uint32(TAG.spanFlags).fixed32((span.traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (isRemote ? FLAG_IS_REMOTE : 0));
}

/** Resource and scope messages, encoded once per object (the sidecar has one of each). */
const encodedOnce = new WeakMap<object, Uint8Array>();

function resourceBytes(resource: Resource): Uint8Array {
  let bytes = encodedOnce.get(resource);
  if (!bytes) {
    const writer = protobuf.Writer.create();
    writeAttributes(writer, TAG.resourceAttribute, resource.attributes);
    writer.uint32(TAG.resourceDroppedAttributes).uint32(0);
    bytes = writer.finish();
    encodedOnce.set(resource, bytes);
  }
  return bytes;
}

function scopeBytes(scope: InstrumentationScope): Uint8Array {
  let bytes = encodedOnce.get(scope);
  if (!bytes) {
    const writer = protobuf.Writer.create();
    writer.uint32(TAG.scopeName).string(scope.name);
    if (scope.version) writer.uint32(TAG.scopeVersion).string(scope.version);
    bytes = writer.finish();
    encodedOnce.set(scope, bytes);
  }
  return bytes;
}

/** One ExportTraceServiceRequest; spans are grouped by resource and scope (object identity, as the SDK does). */
export function encodeTraceRequest(spans: readonly MappedSpan[]): Uint8Array {
  spansSinceReset += spans.length;
  if (spansSinceReset > RESET_AFTER_SPANS) {
    kvCache.clear();
    spansSinceReset = 0;
  }
  const groups = new Map<Resource, Map<InstrumentationScope, MappedSpan[]>>();
  for (const span of spans) {
    let scopes = groups.get(span.resource);
    if (!scopes) groups.set(span.resource, (scopes = new Map()));
    let list = scopes.get(span.instrumentationScope);
    if (!list) scopes.set(span.instrumentationScope, (list = []));
    list.push(span);
  }
  const writer = protobuf.Writer.create();
  for (const [resource, scopes] of groups) {
    writer.uint32(TAG.requestResourceSpans).fork();
    writer.uint32(TAG.resourceSpansResource).bytes(resourceBytes(resource));
    for (const [scope, list] of scopes) {
      writer.uint32(TAG.resourceSpansScopeSpans).fork();
      writer.uint32(TAG.scopeSpansScope).bytes(scopeBytes(scope));
      for (const span of list) {
        writer.uint32(TAG.scopeSpansSpan).fork();
        writeSpan(writer, span);
        writer.ldelim();
      }
      writer.ldelim();
    }
    writer.ldelim();
  }
  return writer.finish();
}
