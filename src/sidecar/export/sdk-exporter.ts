/**
 * Runs an SDK SpanExporter (console, file, Jaeger agent over UDP) as a
 * BatchExporter. These never talk HTTP, so a failure is retried like a
 * connection error; an abort (timeout, shutdown deadline) stops waiting for
 * the callback.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { BatchExporter, ExportOutcome } from './outcome.js';

export class SdkExporter implements BatchExporter {
  constructor(private readonly exporter: SpanExporter) {}

  export(spans: ReadableSpan[], signal: AbortSignal): Promise<ExportOutcome> {
    return new Promise((resolve) => {
      const onAbort = () => resolve({ kind: 'retry', error: String(signal.reason ?? 'aborted') });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        this.exporter.export(spans, (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(
            result.code === ExportResultCode.SUCCESS
              ? { kind: 'ok', rejected: 0 }
              : { kind: 'retry', error: String(result.error?.message ?? 'export failed') },
          );
        });
      } catch (error) {
        signal.removeEventListener('abort', onAbort);
        resolve({ kind: 'retry', error: String(error) });
      }
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}
