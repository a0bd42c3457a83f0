/**
 * Rotation of the span file under load, through real NGINX: the file is
 * moved away and NGINX is told to reopen its logs after 0, 0.5 and 2 s. In
 * between, NGINX keeps writing to the moved file; every record must arrive
 * exactly once (counted by distinct trace ids at an OTLP receiver).
 */
import { rename } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { expectExactlyOnce, load, reopenLogs, sleep, spanFile, startFileNginx, startFileSidecar } from './support/no-loss.js';
import type { SidecarProcess } from './support/sidecar-process.js';

describeEachRuntime('span file rotation under load', (runtime) => {
  let nginx: Nginx;
  let sidecar: SidecarProcess;
  const otlp = new FakeOtlpReceiver();

  beforeAll(async () => {
    await otlp.start();
    nginx = await startFileNginx(runtime);
    sidecar = await startFileSidecar(nginx, otlp);
  });
  afterAll(async () => {
    await sidecar?.stop('SIGKILL');
    await otlp.stop();
  });

  it('loses and duplicates nothing when NGINX reopens 0, 0.5 or 2 s after the move', async () => {
    const sent: string[] = [];
    for (const [index, delayMs] of [0, 500, 2000].entries()) {
      let rotating: Promise<void> | null = null;
      sent.push(
        ...(await load(nginx, 600, (done) => {
          if (done !== 200) return;
          rotating = (async () => {
            await rename(spanFile(nginx), `${spanFile(nginx)}.${index + 1}`);
            await sleep(delayMs);
            reopenLogs(nginx);
          })();
        })),
      );
      await rotating;
      // Requests after the reopen land in the new file: some traffic on both sides of every rotation.
      sent.push(...(await load(nginx, 100)));
    }
    await expectExactlyOnce(otlp, sent);
    expect(sent).toHaveLength(2100);
    expect(await sidecar.metricValue('njs_tracing_file_events_total', { event: 'rotated' })).toBe(3);
  }, 60_000);
});
