/**
 * Jaeger collector exporter (HTTP POST of a Thrift Batch to /api/traces).
 * The spans are converted and encoded by the Jaeger exporter's own pieces
 * (`spanToThrift` of @opentelemetry/exporter-jaeger and jaeger-client's Thrift
 * IDL through thriftrw, as its HTTPSender does); the request is ours, so that
 * one export is one request whose AbortSignal ends it, and the collector's
 * answer is read with the OTLP rules (outcome.ts). The agent (UDP) path stays
 * on the SDK exporter: UDP has no answer to read and no request to abort.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
// Deep imports: the exporter's own converter and the Thrift IDL loader it uses (its package has no exports map).
import { spanToThrift } from '@opentelemetry/exporter-jaeger/build/src/transform.js';
import { ThriftUtils } from '@opentelemetry/exporter-jaeger/build/src/types.js';
import thriftrw from 'thriftrw';
import { post } from './http-post.js';
import { outcomeOfError, outcomeOfStatus, type BatchExporter, type ExportOutcome } from './outcome.js';

const { Thrift } = thriftrw as { Thrift: new (options: { source: string; allowOptionalArguments: boolean }) => JaegerThrift };

interface ThriftStruct {
  new (fields: unknown): unknown;
  rw: { toBuffer(value: unknown): { err: Error | null; value: Buffer } };
}
interface JaegerThrift {
  Batch: ThriftStruct;
  Span: ThriftStruct;
  Process: ThriftStruct;
  Tag: ThriftStruct;
}

let thrift: JaegerThrift | null = null;

export interface JaegerCollectorOptions {
  endpoint: string;
  username: string;
  password: string;
}

export class JaegerCollectorExporter implements BatchExporter {
  private readonly url: URL;
  private readonly headers: Record<string, string>;

  constructor(options: JaegerCollectorOptions) {
    this.url = new URL(options.endpoint);
    this.headers = { 'content-type': 'application/x-thrift' };
    if (options.username && options.password) {
      this.headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    }
  }

  async export(spans: ReadableSpan[], signal: AbortSignal): Promise<ExportOutcome> {
    let body: Buffer;
    try {
      body = encodeBatch(spans);
    } catch (error) {
      return { kind: 'drop', reason: 'encode_failed', error: String(error) };
    }
    try {
      const answer = await post(this.url, this.headers, body, signal);
      return answer.status >= 200 && answer.status <= 299 ? { kind: 'ok', rejected: 0 } : outcomeOfStatus(answer.status, answer.retryAfter);
    } catch (error) {
      return outcomeOfError(error);
    }
  }

  async shutdown(): Promise<void> {}
}

/** One Thrift Batch: the process (service name from the resource, as the SDK exporter does) and the spans. */
export function encodeBatch(spans: ReadableSpan[]): Buffer {
  thrift ??= new Thrift({ source: ThriftUtils.loadJaegerThriftDefinition(), allowOptionalArguments: true });
  const t = thrift;
  const thriftSpans = spans.map((span) => spanToThrift(span));
  const serviceName = String(spans[0]?.resource.attributes['service.name'] ?? 'unknown_service');
  const batch = new t.Batch({
    process: new t.Process({ serviceName, tags: [] }),
    spans: thriftSpans.map((span) => new t.Span(span)),
  });
  const result = t.Batch.rw.toBuffer(batch);
  if (result.err) throw result.err;
  return result.value;
}
