/**
 * The single-file sidecar the chart ships (helm/njs-tracing/files/sidecar/,
 * made by `npm run build`, checked fresh by `npm run build -- --check`) runs
 * with `node` alone: copied into an empty folder, it takes span records and
 * exports them over OTLP and, through the Thrift IDL inlined at build time,
 * to a Jaeger agent.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJaeger } from '../support/fake-jaeger.js';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import { recentRecord, syslogDatagram } from '../sidecar/support/records.js';
import { SidecarProcess } from '../sidecar/support/sidecar-process.js';
import { CHART } from './support/chart.js';

const SINGLE_FILE = join(CHART, 'files', 'sidecar', 'njs-tracing-sidecar.cjs');

describe('the single-file sidecar, run by node alone', () => {
  const otlp = new FakeOtlpReceiver();
  const jaeger = new FakeJaeger();
  let dir: string;
  let sidecar: SidecarProcess;

  beforeAll(async () => {
    await Promise.all([otlp.start(), jaeger.start()]);
    dir = mkdtempSync(join(tmpdir(), 'njs-tracing-single-file-'));
    copyFileSync(SINGLE_FILE, join(dir, 'sidecar.cjs'));
    sidecar = await SidecarProcess.start({
      OTEL_TRACES_EXPORTER: 'otlp,jaeger',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`,
      OTEL_EXPORTER_JAEGER_AGENT_HOST: '127.0.0.1',
      OTEL_EXPORTER_JAEGER_AGENT_PORT: String(jaeger.agentPort),
      OTEL_BSP_SCHEDULE_DELAY: '50',
    }, 15_000, { path: join(dir, 'sidecar.cjs'), cwd: dir });
  }, 30_000);

  afterAll(async () => {
    await sidecar?.stop();
    await Promise.all([otlp.stop(), jaeger.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is one file under 1 MiB, with nothing to resolve around it', () => {
    expect(statSync(SINGLE_FILE).size).toBeLessThan(1024 * 1024);
    for (let at = dir; ; at = dirname(at)) {
      expect(existsSync(join(at, 'node_modules')), at).toBe(false);
      if (at === parse(at).root) break;
    }
  });

  it('exports a record it received over UDP to OTLP and to the Jaeger agent', async () => {
    const record = recentRecord();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.send(syslogDatagram(record), sidecar.udpPort, '127.0.0.1', () => resolve()));
    udp.close();
    const spans = await otlp.waitForSpans(2);
    expect(spans.map((s) => s.traceId)).toEqual([record.tid, record.tid]);
    const viaAgent = await jaeger.waitForSpans(2);
    expect(viaAgent.map((s) => s.traceId).sort()).toEqual([record.tid, record.tid]);
    expect(jaeger.decodeErrors).toEqual([]);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await sidecar.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
