/**
 * The span file as a durable buffer across sidecar restarts, through real
 * NGINX on every runtime, counting distinct trace ids at an OTLP receiver:
 * - SIGKILL mid-load, then a restart: nothing lost; at most the spans the
 *   backend had but the checkpoint did not cover arrive twice. That is bounded
 *   by OTEL_BSP_MAX_QUEUE_SIZE spans per exporter (reading never runs further
 *   ahead of the checkpoint): here 400 spans, 200 records.
 * - SIGTERM while the backend hangs: the sidecar exits by its deadline and the
 *   records it could not deliver are read again by the next one, once.
 * - the file truncated (copytruncate) while the sidecar runs and while it is down.
 */
import { truncate } from 'node:fs/promises';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { delivery, expectExactlyOnce, load, sleep, spanFile, startFileNginx, startFileSidecar } from './support/no-loss.js';
import type { SidecarProcess } from './support/sidecar-process.js';

/** OTEL_BSP_MAX_QUEUE_SIZE of startFileSidecar, in records (2 spans each). */
const AT_LEAST_ONCE_BOUND_RECORDS = 400 / 2;

describeEachRuntime('span file across sidecar restarts', (runtime) => {
  let nginx: Nginx;
  let otlp: FakeOtlpReceiver;
  const sidecars: SidecarProcess[] = [];

  beforeAll(async () => {
    nginx = await startFileNginx(runtime);
  });
  afterEach(async () => {
    for (const sidecar of sidecars.splice(0)) await sidecar.stop('SIGKILL');
    await otlp?.stop();
    // The next test starts on an empty file, without the checkpoint of this one.
    await truncate(spanFile(nginx), 0);
  });

  /** A sidecar with a checkpoint of the test's own (`name`), so tests do not resume each other's. */
  const start = async (name: string, env: Record<string, string> = {}) => {
    const sidecar = await startFileSidecar(nginx, otlp, { NJS_TRACING_CHECKPOINT_FILE: `${spanFile(nginx)}.${name}.checkpoint`, ...env });
    sidecars.push(sidecar);
    return sidecar;
  };

  it('SIGKILL mid-load and a restart: nothing lost, at most the uncheckpointed batches twice', async () => {
    otlp = await new FakeOtlpReceiver().start();
    let first: SidecarProcess | null = await start('kill');
    let killing: Promise<unknown> | null = null;
    const sent = await load(nginx, 3000, (done) => {
      if (done === 1500 && first) {
        killing = first.stop('SIGKILL');
        first = null;
      }
    });
    await killing;
    const received = otlp.spanCount;
    await start('kill');
    const result = await delivery(otlp, sent);
    expect(result.missing).toHaveLength(0);
    expect(result.unexpected).toHaveLength(0);
    expect(result.duplicated.length).toBeLessThanOrEqual(AT_LEAST_ONCE_BOUND_RECORDS);
    expect(received).toBeGreaterThan(0); // the first sidecar did deliver before the kill
  }, 60_000);

  it('SIGTERM while the backend hangs: exits by its deadline; the next sidecar delivers the rest exactly once', async () => {
    otlp = await new FakeOtlpReceiver().start();
    const first = await start('term', { NJS_TRACING_SHUTDOWN_TIMEOUT_MS: '1000', OTEL_BSP_EXPORT_TIMEOUT: '30000', OTEL_EXPORTER_OTLP_TIMEOUT: '30000' });
    const before = await load(nginx, 300);
    await delivery(otlp, before);
    otlp.hang = true;
    const during = await load(nginx, 300);
    await sleep(1500); // NGINX flushes its log buffer every second; the sidecar queues and sends into the hang
    const stoppedAt = Date.now();
    const exit = await first.stop('SIGTERM');
    expect(exit.code).toBe(0);
    // The 30 s request timeout would hold the exit without the hard deadline (1 s).
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(first.logs.some((line) => line.msg.startsWith('shutdown deadline reached'))).toBe(true);
    otlp.hang = false;
    await start('term');
    await expectExactlyOnce(otlp, [...before, ...during]);
  }, 60_000);

  it('a file truncated while the sidecar runs and while it is down: new records once each', async () => {
    otlp = await new FakeOtlpReceiver().start();
    const sidecar = await start('truncate');
    const first = await load(nginx, 300);
    await delivery(otlp, first);
    await truncate(spanFile(nginx), 0); // copytruncate, with everything delivered
    const second = await load(nginx, 100);
    await delivery(otlp, [...first, ...second]);
    expect(await sidecar.metricValue('njs_tracing_file_events_total', { event: 'truncated' })).toBe(1);
    await sidecar.stop('SIGTERM');
    await truncate(spanFile(nginx), 0);
    const third = await load(nginx, 50); // fewer bytes than the checkpoint's offset
    await sleep(1200); // in the file before the restart
    const next = await start('truncate');
    await expectExactlyOnce(otlp, [...first, ...second, ...third]);
    expect(await next.metricValue('njs_tracing_file_events_total', { event: 'truncated' })).toBe(1); // seen at resume
  }, 60_000);
});
