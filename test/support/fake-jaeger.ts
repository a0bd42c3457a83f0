/**
 * A Jaeger backend for tests that speaks the real wire formats, decoded with
 * thriftrw and the Thrift IDL shipped in the jaeger-client package:
 * - agent: UDP datagrams holding an `Agent.emitBatch` oneway message, Thrift
 *   binary protocol (the agent's port 6832; thriftrw, like jaeger-client,
 *   speaks binary, not compact);
 * - collector: HTTP POST /api/traces with a binary Thrift `Batch` body
 *   (Content-Type application/x-thrift).
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { closeServer, listenOnLoopback } from './loopback-server.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Thrift } = require('thriftrw');
const jaegerClientSrc = join(dirname(require.resolve('jaeger-client/package.json')), 'dist/src');
const agentThrift = new Thrift({
  entryPoint: join(jaegerClientSrc, 'thriftrw-idl/agent.thrift'),
  allowFilesystemAccess: true,
  allowOptionalArguments: true,
});
const jaegerThrift = new Thrift({
  entryPoint: join(jaegerClientSrc, 'jaeger-idl/thrift/jaeger.thrift'),
  allowFilesystemAccess: true,
});

export type TagValue = string | number | boolean | null;

export interface JaegerSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span (Jaeger writes 0). */
  parentSpanId: string;
  operationName: string;
  references: Array<{ refType: string; traceId: string; spanId: string }>;
  flags: number;
  startTimeUs: bigint;
  durationUs: bigint;
  tags: Record<string, TagValue>;
  serviceName: string;
  processTags: Record<string, TagValue>;
}

const int64Hex = (value: Buffer | undefined) => (value ? Buffer.from(value).toString('hex').padStart(16, '0') : '');
const int64 = (value: Buffer | undefined) => (value ? BigInt('0x' + (Buffer.from(value).toString('hex') || '0')) : 0n);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function tags(list: any[] | null | undefined): Record<string, TagValue> {
  const result: Record<string, TagValue> = {};
  for (const tag of list ?? []) {
    result[tag.key] =
      tag.vType === 'STRING' ? tag.vStr
      : tag.vType === 'DOUBLE' ? tag.vDouble
      : tag.vType === 'BOOL' ? tag.vBool
      : tag.vType === 'LONG' ? Number(int64(tag.vLong))
      : null;
  }
  return result;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function flattenBatch(batch: any): JaegerSpan[] {
  const serviceName = batch.process?.serviceName ?? '';
  const processTags = tags(batch.process?.tags);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (batch.spans ?? []).map((span: any) => {
    const parent = int64Hex(span.parentSpanId);
    return {
      traceId: int64Hex(span.traceIdHigh) + int64Hex(span.traceIdLow),
      spanId: int64Hex(span.spanId),
      parentSpanId: /^0*$/.test(parent) ? '' : parent,
      operationName: span.operationName,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      references: (span.references ?? []).map((ref: any) => ({
        refType: ref.refType,
        traceId: int64Hex(ref.traceIdHigh) + int64Hex(ref.traceIdLow),
        spanId: int64Hex(ref.spanId),
      })),
      flags: span.flags,
      startTimeUs: int64(span.startTime),
      durationUs: int64(span.duration),
      tags: tags(span.tags),
      serviceName,
      processTags,
    };
  });
}

/** Decodes one agent datagram: an Agent.emitBatch message in Thrift binary protocol. */
export function decodeAgentDatagram(datagram: Buffer): JaegerSpan[] {
  const result = agentThrift.Agent.emitBatch.argumentsMessageRW.readFrom(datagram, 0);
  if (result.err) throw result.err;
  return flattenBatch(result.value.body.batch);
}

/** Decodes a collector POST body: one Thrift Batch in binary protocol. */
export function decodeCollectorBody(body: Buffer): JaegerSpan[] {
  const result = jaegerThrift.Batch.rw.readFrom(body, 0);
  if (result.err) throw result.err;
  return flattenBatch(result.value);
}

export class FakeJaeger {
  readonly spans: JaegerSpan[] = [];
  readonly decodeErrors: string[] = [];
  agentPort = 0;
  collectorPort = 0;
  private socket: Socket | null = null;
  private server: Server | null = null;

  async start(): Promise<this> {
    const socket = createSocket('udp4');
    socket.on('message', (datagram) => this.keep(() => decodeAgentDatagram(datagram)));
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    this.socket = socket;
    this.agentPort = socket.address().port;

    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/api/traces') return void response.writeHead(404).end();
        if (request.headers['content-type'] !== 'application/x-thrift') return void response.writeHead(415).end();
        this.keep(() => decodeCollectorBody(Buffer.concat(chunks)));
        response.writeHead(202).end();
      });
    });
    this.server = server;
    this.collectorPort = await listenOnLoopback(server);
    return this;
  }

  get collectorUrl(): string {
    return `http://127.0.0.1:${this.collectorPort}/api/traces`;
  }

  private keep(decode: () => JaegerSpan[]): void {
    try {
      this.spans.push(...decode());
    } catch (error) {
      this.decodeErrors.push(String(error));
    }
  }

  async waitForSpans(count: number, timeoutMs = 10_000): Promise<JaegerSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.spans.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`fake Jaeger got ${this.spans.length} spans, wanted ${count}; decode errors: ${this.decodeErrors.join('; ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.spans;
  }

  async stop(): Promise<void> {
    this.socket?.close();
    this.socket = null;
    const server = this.server;
    this.server = null;
    await closeServer(server);
  }
}
