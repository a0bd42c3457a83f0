/**
 * OTLP/HTTP protobuf exporter. Our spans are encoded by otlp-encode.ts
 * straight from their compact form; any other ReadableSpan by the
 * OpenTelemetry JS project's ProtobufTraceSerializer, which also reads the
 * answer. The request and the meaning of the answer are ours, because the SDK's
 * exporter retries inside itself, reports every failure alike and only logs
 * partial successes: here a retryable answer goes back to the queue's retry
 * schedule (honouring Retry-After), any other answer drops the batch at once
 * (counted by reason), and the spans a partial success rejected are counted.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MappedSpan } from '../map/mapped-span.js';
import { post } from './http-post.js';
import { encodeTraceRequest } from './otlp-encode.js';
import { outcomeOfError, outcomeOfStatus, type BatchExporter, type ExportOutcome } from './outcome.js';

export interface OtlpExporterOptions {
  url: string;
  headers: Record<string, string>;
}

export class OtlpHttpExporter implements BatchExporter {
  private readonly url: URL;
  private readonly headers: Record<string, string>;

  constructor(options: OtlpExporterOptions) {
    this.url = new URL(options.url);
    this.headers = { ...options.headers, 'content-type': 'application/x-protobuf' };
  }

  async export(spans: ReadableSpan[], signal: AbortSignal): Promise<ExportOutcome> {
    const body = allMapped(spans) ? encodeTraceRequest(spans) : ProtobufTraceSerializer.serializeRequest(spans);
    if (!body) return { kind: 'drop', reason: 'encode_failed', error: 'could not encode the batch' };
    let answer;
    try {
      answer = await post(this.url, this.headers, body, signal);
    } catch (error) {
      return outcomeOfError(error);
    }
    if (answer.status < 200 || answer.status > 299) return outcomeOfStatus(answer.status, answer.retryAfter);
    return partialSuccess(answer.body);
  }

  async shutdown(): Promise<void> {}
}

function allMapped(spans: ReadableSpan[]): spans is MappedSpan[] {
  for (const span of spans) if (!(span instanceof MappedSpan)) return false;
  return true;
}

/** A 2xx answer's body: empty, or an ExportTraceServiceResponse that may carry a partial success. */
function partialSuccess(body: Buffer): ExportOutcome {
  if (body.length === 0) return { kind: 'ok', rejected: 0 };
  try {
    const response = ProtobufTraceSerializer.deserializeResponse(body);
    const partial = response.partialSuccess;
    const rejected = Number(partial?.rejectedSpans ?? 0);
    return { kind: 'ok', rejected: Number.isFinite(rejected) && rejected > 0 ? rejected : 0, message: partial?.errorMessage || undefined };
  } catch {
    // A 2xx whose body we cannot read (e.g. a proxy's HTML): the data was accepted.
    return { kind: 'ok', rejected: 0 };
  }
}
