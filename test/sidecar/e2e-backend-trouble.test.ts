/**
 * A backend that is down, or hangs, while NGINX keeps writing records, through
 * real NGINX on every runtime, counting distinct trace ids at an OTLP receiver.
 *
 * The outage lasts seconds, not the minute of the issue: with a 400-span
 * queue the sidecar is past the point where the queue is full and the file
 * reader waits within milliseconds, and from then on a longer outage only
 * adds bytes on disk (the state, and the code path, are the same). The
 * disk-budget case makes the reader fall behind further than it may.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { delivery, expectExactlyOnce, load, sleep, startFileNginx, startFileSidecar } from './support/no-loss.js';
import type { SidecarProcess } from './support/sidecar-process.js';

describeEachRuntime('backend trouble while records keep coming', (runtime) => {
  let nginx: Nginx;
  let otlp: FakeOtlpReceiver;
  let sidecar: SidecarProcess | null = null;

  beforeAll(async () => {
    nginx = await startFileNginx(runtime);
  });
  afterEach(async () => {
    await sidecar?.stop('SIGKILL');
    sidecar = null;
    await otlp?.stop();
  });

  // Each test reads only its own records: the file is shared, so start at its end.
  const start = (env: Record<string, string> = {}) => startFileSidecar(nginx, otlp, { NJS_TRACING_FILE_START: 'end', NJS_TRACING_CHECKPOINT_FILE: '', ...env });

  it('backend down: the reader waits instead of dropping; everything arrives once when it is back', async () => {
    otlp = await new FakeOtlpReceiver().start();
    const port = otlp.port;
    sidecar = await start();
    await otlp.stop();
    const sent = await load(nginx, 2000); // 4000 spans for a 400-span queue
    await sleep(2000);
    expect(await sidecar.metricValue('njs_tracing_queue_spans')).toBe(400);
    expect(await sidecar.metricValue('njs_tracing_export_errors_total')).toBeGreaterThan(0);
    expect(await sidecar.metricValue('njs_tracing_process_resident_memory_bytes')).toBeLessThan(200 * 1024 * 1024);
    await otlp.start(port);
    await expectExactlyOnce(otlp, sent);
    expect(await sidecar.metricValue('njs_tracing_spans_dropped_total')).toBe(0);
  }, 60_000);

  it('backend hanging: requests are aborted at the export timeout and retried; everything arrives once', async () => {
    otlp = await new FakeOtlpReceiver().start();
    otlp.hang = true;
    sidecar = await start({ OTEL_BSP_EXPORT_TIMEOUT: '500' });
    const sent = await load(nginx, 1000);
    await sleep(2000);
    expect(await sidecar.metricValue('njs_tracing_export_errors_total')).toBeGreaterThan(0);
    expect(otlp.spanCount).toBe(0);
    otlp.hang = false;
    await expectExactlyOnce(otlp, sent);
    expect(await sidecar.metricValue('njs_tracing_spans_dropped_total')).toBe(0);
  }, 60_000);

  it('past the disk budget the oldest unread records are skipped, counted and logged; the rest arrive once', async () => {
    otlp = await new FakeOtlpReceiver().start();
    const port = otlp.port;
    sidecar = await start({ NJS_TRACING_FILE_MAX_BACKLOG_BYTES: '65536' });
    await otlp.stop();
    const sent = await load(nginx, 2500); // about 1 MB of records (~420 bytes each) behind a 400-span queue
    await sleep(2000);
    const skipped = await sidecar.metricValue('njs_tracing_file_skipped_bytes_total');
    expect(skipped).toBeGreaterThan(500_000);
    expect(sidecar.logs.some((line) => line.msg.includes('skipping the oldest unread records'))).toBe(true);
    await otlp.start(port);
    const result = await delivery(otlp, sent, 5000);
    expect(result.duplicated).toHaveLength(0);
    expect(result.unexpected).toHaveLength(0);
    // What arrives: what was queued (at most 400 spans, 200 records) plus the newest ~64 KB (about 100
    // records); the rest was skipped. (Whether the first records were queued before the backlog passed
    // the budget depends on how NGINX's workers flushed their log buffers.)
    const arrived = sent.length - result.missing.length;
    expect(arrived).toBeGreaterThanOrEqual(50);
    expect(arrived).toBeLessThan(700);
    expect(sent.slice(-50).every((id) => !result.missing.includes(id))).toBe(true);
  }, 60_000);
});
