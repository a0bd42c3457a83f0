/**
 * An OTLP/HTTP receiver for tests: accepts POST /v1/traces with protobuf
 * bodies, decodes them with the protobufjs code generated from the official
 * opentelemetry-proto files (as shipped in @opentelemetry/otlp-transformer
 * 0.52, installed under the alias otlp-transformer-protobufjs), and keeps the
 * spans in a flat, easy-to-assert shape. It can refuse (HTTP 503) or go away
 * entirely (socket closed) and come back on the same port.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { closeServer, listenOnLoopback } from './loopback-server.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-protobufjs/build/src/generated/root.js');
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ExportTraceServiceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, AttributeValue>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, AttributeValue> }>;
  resource: Record<string, AttributeValue>;
  scope: { name: string; version: string };
}

export const OTLP_KIND = { SERVER: 2, CLIENT: 3 } as const;
export const OTLP_STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');

function bigintOf(value: unknown): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' || typeof value === 'string') return BigInt(value);
  const long = value as { low: number; high: number; unsigned?: boolean };
  return (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function anyValue(value: any): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined && value.stringValue !== null && value.value === 'stringValue') return value.stringValue;
  if (value.value === 'intValue') return Number(bigintOf(value.intValue));
  if (value.value === 'doubleValue') return value.doubleValue;
  if (value.value === 'boolValue') return value.boolValue;
  if (value.value === 'arrayValue') return (value.arrayValue.values ?? []).map(anyValue);
  return value.stringValue ?? null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function attributes(list: any[] | undefined): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const kv of list ?? []) result[kv.key] = anyValue(kv.value);
  return result;
}

/** Decodes an ExportTraceServiceRequest protobuf body into flat spans. */
export function decodeOtlpTraces(body: Uint8Array): ReceivedSpan[] {
  const request = ExportTraceServiceRequest.decode(body);
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version ?? '' };
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          traceState: span.traceState ?? '',
          name: span.name,
          kind: span.kind,
          startTimeUnixNano: bigintOf(span.startTimeUnixNano),
          endTimeUnixNano: bigintOf(span.endTimeUnixNano),
          attributes: attributes(span.attributes),
          statusCode: span.status?.code ?? 0,
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          links: (span.links ?? []).map((link: any) => ({
            traceId: hex(link.traceId),
            spanId: hex(link.spanId),
            attributes: attributes(link.attributes),
          })),
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

/**
 * Counts the spans of an ExportTraceServiceRequest by walking the wire format
 * (resource_spans = 1 -> scope_spans = 2 -> spans = 2) without decoding them:
 * for benchmarks, where decoding every span would make the receiver the bottleneck.
 */
export function countOtlpSpans(body: Uint8Array): number {
  let count = 0;
  const walk = (start: number, end: number, depth: number) => {
    let pos = start;
    const varint = () => {
      let value = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = body[pos++];
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
    };
    while (pos < end) {
      const tag = varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const length = varint();
        if (depth === 0 && field === 1) walk(pos, pos + length, 1);
        else if (depth === 1 && field === 2) walk(pos, pos + length, 2);
        else if (depth === 2 && field === 2) count++;
        pos += length;
      } else throw new Error(`unexpected wire type ${wire}`);
    }
  };
  walk(0, body.length, 0);
  return count;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export class FakeOtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Count only (keepSpans false: counted without decoding), for benchmarks. */
  spanCount = 0;
  requests = 0;
  /** When set, every request is answered with this HTTP status and nothing is kept. */
  refuseWith: number | null = null;
  /** Sent as Retry-After with a refusal. */
  retryAfter: string | null = null;
  /** When true, requests are read and never answered (a hanging backend); nothing is kept. */
  hang = false;
  /** When set, a 200 answer carries a partial success rejecting this many spans (all spans are still kept). */
  rejectSpans = 0;
  keepSpans = true;
  readonly headersSeen: Array<Record<string, string | string[] | undefined>> = [];
  private server: Server | null = null;
  port = 0;

  /** Starts listening on 127.0.0.1 (a free port unless one is given, e.g. to come back on the same port). */
  async start(port = this.port): Promise<this> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    this.port = await listenOnLoopback(server, port);
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  private async handle(request: IncomingMessage, response: import('node:http').ServerResponse): Promise<void> {
    const body = await readBody(request);
    this.requests++;
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    this.headersSeen.push(request.headers);
    if (this.hang) return;
    if (this.refuseWith !== null) {
      response.writeHead(this.refuseWith, this.retryAfter ? { 'retry-after': this.retryAfter } : {}).end();
      return;
    }
    if (request.headers['content-type'] !== 'application/x-protobuf') {
      response.writeHead(415).end();
      return;
    }
    if (this.keepSpans) {
      const spans = decodeOtlpTraces(body);
      this.spanCount += spans.length;
      this.spans.push(...spans);
    } else {
      this.spanCount += countOtlpSpans(body);
    }
    const partialSuccess = this.rejectSpans > 0 ? { rejectedSpans: this.rejectSpans, errorMessage: 'rejected by the test' } : undefined;
    const answer = ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({ partialSuccess })).finish();
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(answer));
  }

  /** Closes the socket and every connection: the backend is down (connection refused). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await closeServer(server);
  }

  async waitForSpans(count: number, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.spanCount < count) {
      if (Date.now() > deadline) throw new Error(`fake OTLP got ${this.spanCount} spans, wanted ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.spans;
  }
}
