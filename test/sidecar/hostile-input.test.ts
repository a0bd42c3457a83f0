import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES } from '../../src/record/fields.js';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import { SidecarProcess } from './support/sidecar-process.js';
import { recentRecord, recordLine, syslogDatagram } from './support/records.js';

let udp: Socket;
let otlp: FakeOtlpReceiver;
let sidecar: SidecarProcess;

beforeAll(async () => {
  udp = createSocket('udp4');
  otlp = await new FakeOtlpReceiver().start();
  sidecar = await SidecarProcess.start({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '20' });
});
afterAll(async () => {
  await sidecar.stop('SIGKILL');
  await otlp.stop();
  udp.close();
});

function send(payload: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    udp.send(payload, sidecar.udpPort, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
}

/** Deterministic pseudo-random mutations of a valid record. */
function mutations(seed: number, count: number): Buffer[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff);
  const valid = Buffer.from(syslogDatagram(recentRecord()));
  const result: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const copy = Buffer.from(valid);
    for (let flips = 1 + (next() % 8); flips > 0; flips--) copy[next() % copy.length] = next() % 256;
    result.push(i % 3 === 0 ? copy.subarray(0, next() % copy.length) : copy);
  }
  return result;
}

describe('hostile and malformed datagrams', () => {
  it('counts every malformed datagram by reason, never stops, and still exports the valid record after them', async () => {
    const named: Array<[string, string | Buffer]> = [
      ['empty', ''],
      ['binary', randomBytes(512)],
      ['notJson', '<190>Nov 24 23:59:59 njs_tracing: {not json'],
      ['array', '[1,2,3]'],
      ['wrongVersion', recordLine().replace('"v":1', '"v":99')],
      ['missingField', JSON.stringify({ v: 1, tid: '4bf92f3577b34da6a3ce929d0e0e4736' })],
      ['numberInsteadOfString', recordLine().replace('"st":"200"', '"st":200')],
      ['allZeroTraceId', recordLine({ tid: '0'.repeat(32) })],
      ['upperCaseSpanId', recordLine({ sid: '00F067AA0BA902B7' })],
      ['badFlags', recordLine({ fl: 'zz' })],
      ['halfALink', recordLine({ ltid: '0af7651916cd43dd8448eb211c80319c' })],
      ['negativeDuration', recordLine({ dur: '-1' })],
      ['statusWord', recordLine({ st: 'OK' })],
      ['oversized', `{"v":1,"pad":"${'x'.repeat(MAX_RECORD_BYTES)}"}`],
      ['prototypePollution', '{"__proto__":{"polluted":true},"v":1}'],
      // Parses, but JSON.stringify of it (in an error message) overflows the stack.
      ['deepNesting', '{"v":' + '['.repeat(12_000) + ']'.repeat(12_000) + '}'],
      ['nul bytes', '\u0000'.repeat(100)],
    ];
    for (const [, payload] of named) await send(payload);
    const fuzzed = mutations(42, 500);
    for (const payload of fuzzed) await send(payload);
    const valid = recentRecord();
    await send(syslogDatagram(valid));

    const deadline = Date.now() + 10_000;
    while (!otlp.spans.some((span) => span.spanId === valid.sid)) {
      if (Date.now() > deadline) throw new Error('the valid record sent after the garbage was not exported');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const received = await sidecar.metricValue('njs_tracing_records_received_total', { sink: 'udp' });
    const malformed = await sidecar.metricValue('njs_tracing_records_malformed_total', { sink: 'udp' });
    const total = named.length + fuzzed.length + 1;
    expect(received).toBe(total);
    // Every datagram is either malformed or turned into exported spans (a mutation may hit a
    // harmless byte, e.g. inside the user agent, and still be a valid record).
    const recordsExported = (await sidecar.metricValue('njs_tracing_spans_exported_total')) / 2;
    expect(malformed + recordsExported).toBe(total);
    expect(malformed).toBeGreaterThanOrEqual(named.length);
    for (const reason of ['not_json', 'version', 'missing_field', 'bad_id', 'bad_flags', 'bad_time', 'bad_status', 'too_long']) {
      expect(await sidecar.metricValue('njs_tracing_records_malformed_total', { reason }), reason).toBeGreaterThan(0);
    }
    expect(sidecar.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${sidecar.metricsPort}/healthz`)).status).toBe(200);
  });

  it('rate-limits the log lines about malformed records', async () => {
    const before = sidecar.logs.filter((line) => line.msg === 'malformed span record').length;
    for (let i = 0; i < 200; i++) await send('garbage');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = sidecar.logs.filter((line) => line.msg === 'malformed span record').length;
    expect(after - before).toBeLessThanOrEqual(1);
  });
});
