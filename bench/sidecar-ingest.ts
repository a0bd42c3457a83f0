/**
 * Sidecar ingest benchmark (not a test). Sends span records over UDP, as
 * NGINX's syslog sink does, to the real bin/njs-tracing-sidecar.js pinned to
 * one core, which exports OTLP/HTTP protobuf to a fake receiver that decodes
 * and counts the spans. Steps the rate up to find the highest rate with zero
 * loss, then runs 2x that rate and reports peak RSS and the drops counted.
 *
 *   npx tsx bench/sidecar-ingest.ts [--seconds 5] [--rates 5000,10000,15000,20000,25000]
 *     [--warmup-seconds 3] [--warmup-rate 5000] [--core 1]
 *
 * The sidecar runs with the chart's NODE_OPTIONS (capped heap); BENCH_NODE_OPTIONS
 * replaces them (empty: Node's defaults), BENCH_NODE_FLAGS adds flags (--cpu-prof).
 *
 * Each rate starts a fresh sidecar, warms it up (--warmup-rate records/s for
 * --warmup-seconds, then drained), and counts only the measured window after it.
 *
 * Each record is 2 spans (SERVER + CLIENT). Needs taskset (util-linux) to pin.
 * The sender is a worker thread, so the fake receiver's decoding (main thread)
 * cannot hold it up and turn a steady rate into bursts the socket cannot hold.
 * All sidecar records are sampled (fl 01), so every record must become 2 spans.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { FakeOtlpReceiver } from '../test/support/fake-otlp.js';
import { metricValue } from '../test/sidecar/support/sidecar-process.js';
import { recentRecord, syslogDatagram } from '../test/sidecar/support/records.js';
import { buildSidecar } from '../scripts/build-sidecar.mjs';
import { RECOMMENDED_NODE_OPTIONS } from '../src/sidecar/export/queue-memory.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rates: { type: 'string', default: '5000,10000,15000,20000,25000,30000' },
    core: { type: 'string', default: '1' },
    'warmup-seconds': { type: 'string', default: '3' },
    'warmup-rate': { type: 'string', default: '5000' },
  },
});
const WARMUP_SECONDS = Number(values['warmup-seconds']);
const WARMUP_RATE = Number(values['warmup-rate']);
const SECONDS = Number(values.seconds);
const RATES = values.rates!.split(',').map(Number);
const BIN = new URL('../bin/njs-tracing-sidecar.js', import.meta.url).pathname;
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

interface RunResult {
  recordsPerSecond: number;
  sentRecords: number;
  receivedRecords: number;
  exportedSpans: number;
  droppedSpans: number;
  peakRssMb: number;
  cpuSeconds: number;
  meanExportMs: number;
  /** Most datagrams the sender had to send at once (it sends what is due every ~1 ms). */
  maxBurst: number;
  /** PROBE's time on the sidecar's core just before the run. */
  probeMs: number;
  /** Growth of RcvbufErrors in /proc/net/snmp (machine-wide) during the run. */
  rcvbufErrors: number;
}

// A fixed piece of CPU work (300,000 JSON.parse of a small object) on the sidecar's
// core, before each run: on a shared VM the core's speed changes over minutes, and
// this shows by how much (~150 ms on a quiet host here).
const PROBE = `const s = JSON.stringify({ a: 'x'.repeat(50), b: [1, 2, 3], c: { d: 'e' }, f: '1700000000.250' });
const t = process.hrtime.bigint(); let n = 0;
for (let i = 0; i < 300000; i++) n += JSON.parse(s).a.length;
console.log(Number(process.hrtime.bigint() - t) / 1e6);`;
function probeMs(): number {
  const command = hasTaskset ? ['taskset', '-c', values.core!, process.execPath] : [process.execPath];
  return Math.round(Number(spawnSync(command[0], [...command.slice(1), '-e', PROBE]).stdout.toString()));
}

function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((line) => line.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  return Number(lines[1].split(/\s+/)[names.indexOf('RcvbufErrors')]);
}

// Sends `total` datagrams from the pool at `rate` per second to `port`, paced every ~1 ms.
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const { pool, rate, total, port } = workerData;
const buffers = pool.map((text) => Buffer.from(text));
const socket = createSocket('udp4');
const started = process.hrtime.bigint();
let sent = 0, maxBurst = 0;
function tick() {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const due = Math.min(total, Math.floor(elapsed * rate));
  maxBurst = Math.max(maxBurst, due - sent);
  while (sent < due) {
    sent++;
    // close only once the last datagram has left: closing earlier would drop queued sends
    if (sent === total) socket.send(buffers[sent % buffers.length], port, '127.0.0.1', () => socket.close(done));
    else socket.send(buffers[sent % buffers.length], port, '127.0.0.1');
  }
  if (sent < total) setTimeout(tick, 1);
}
function done() { parentPort.postMessage({ sent, maxBurst }); }
tick();
`;

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function run(recordsPerSecond: number, seconds: number): Promise<RunResult> {
  const probe = probeMs();
  const otlp = await new FakeOtlpReceiver().start();
  otlp.keepSpans = false;
  const env = {
    PATH: process.env.PATH ?? '',
    NJS_TRACING_UDP_ADDRESS: '127.0.0.1:0',
    NJS_TRACING_METRICS_ADDRESS: '127.0.0.1:0',
    NJS_TRACING_FILE: '',
    NJS_TRACING_LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
    OTEL_TRACES_EXPORTER: process.env.BENCH_EXPORTER ?? 'otlp',
    // As the chart and the Dockerfile start it; BENCH_NODE_OPTIONS= (empty) for Node's defaults.
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? RECOMMENDED_NODE_OPTIONS,
  };
  // BENCH_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the sidecar.
  const node = [process.execPath, ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), BIN];
  const [command, args] = hasTaskset ? ['taskset', ['-c', values.core!, ...node]] : [node[0], node.slice(1)];
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<{ udp: number; metrics: number }>((resolve) => {
    const found = { udp: 0, metrics: 0 };
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        const entry = JSON.parse(line);
        const port = typeof entry.address === 'string' ? Number(entry.address.split(':').pop()) : 0;
        if (entry.msg === 'receiving span records over UDP') found.udp = port;
        if (entry.msg.startsWith('serving /metrics')) found.metrics = port;
        if (entry.msg === 'sidecar started') resolve(found);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
  });
  const metrics = async (name: string) => metricValue(await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text(), name);
  const pid = hasTaskset ? Number(spawnSync('pgrep', ['-P', String(child.pid)]).stdout.toString().trim()) || child.pid! : child.pid!;

  // Pre-render a pool of distinct datagrams so the sender's own cost stays small.
  const pool = Array.from({ length: 4096 }, () => syslogDatagram(recentRecord()));
  const send = async (rate: number, total: number) => {
    const sender = new Worker(SENDER, { eval: true, workerData: { pool, rate, total, port: ports.udp } });
    const done = await new Promise<{ sent: number; maxBurst: number }>((resolve, reject) => {
      sender.once('message', resolve).once('error', reject);
    });
    await sender.terminate();
    return done;
  };
  // Let the queue drain: the default schedule delay is 1 s.
  const drain = async () => {
    let last = -1;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const exported = await metrics('njs_tracing_spans_exported_total');
      if (exported === last) break;
      last = exported;
    }
  };
  // Warm-up: a freshly started sidecar runs unoptimized code for its first seconds
  // (a deployed one runs for days), so the measured window starts after it.
  if (WARMUP_SECONDS > 0) {
    await send(WARMUP_RATE, WARMUP_RATE * WARMUP_SECONDS);
    await drain();
  }
  const before = {
    received: await metrics('njs_tracing_records_received_total'),
    exported: otlp.spanCount,
    dropped: await metrics('njs_tracing_spans_dropped_total'),
    cpu: cpuSeconds(pid),
    rcvbuf: rcvbufErrors(),
  };
  const { sent, maxBurst } = await send(recordsPerSecond, recordsPerSecond * seconds);
  await drain();
  const result: RunResult = {
    recordsPerSecond,
    sentRecords: sent,
    receivedRecords: (await metrics('njs_tracing_records_received_total')) - before.received,
    exportedSpans: otlp.spanCount - before.exported,
    droppedSpans: (await metrics('njs_tracing_spans_dropped_total')) - before.dropped,
    peakRssMb: Math.round(peakRssMb(pid)),
    cpuSeconds: Math.round((cpuSeconds(pid) - before.cpu) * 100) / 100,
    maxBurst,
    probeMs: probe,
    rcvbufErrors: rcvbufErrors() - before.rcvbuf,
    meanExportMs:
      Math.round(
        ((await metrics('njs_tracing_export_duration_seconds_sum')) / (await metrics('njs_tracing_export_duration_seconds_count'))) * 1e4,
      ) / 10,
  };
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await otlp.stop();
  return result;
}

function show(result: RunResult): void {
  const lostSpans = result.sentRecords * 2 - result.exportedSpans;
  console.log(
    [
      `${String(result.recordsPerSecond).padStart(6)} rec/s (${result.recordsPerSecond * 2} spans/s)`,
      `sent ${result.sentRecords}`,
      `received ${result.receivedRecords}`,
      `exported spans ${result.exportedSpans}`,
      `lost spans ${lostSpans} (queue drops counted: ${result.droppedSpans}, kernel UDP drops: ${(result.sentRecords - result.receivedRecords) * 2}; RcvbufErrors +${result.rcvbufErrors})`,
      `sidecar CPU ${result.cpuSeconds}s (${Math.round((result.cpuSeconds / result.receivedRecords) * 1e6)} us/record)`,
      `mean export ${result.meanExportMs} ms`,
      `max send burst ${result.maxBurst}`,
      `core probe ${result.probeMs} ms`,
      `peak RSS ${result.peakRssMb} MB`,
    ].join(' | '),
  );
}

// Keep this process (sender thread, fake receiver) off the sidecar's core; -a: all threads.
if (hasTaskset) {
  const others = Array.from({ length: availableParallelism() }, (_, cpu) => cpu).filter((cpu) => String(cpu) !== values.core);
  if (others.length > 0) spawnSync('taskset', ['-a', '-p', '-c', others.join(','), String(process.pid)], { stdio: 'ignore' });
}
await buildSidecar();
console.log(
  `node ${process.version}, sidecar pinned to core ${hasTaskset ? values.core : '(taskset missing: not pinned)'}, ${SECONDS} s per rate` +
    `, warm-up ${WARMUP_SECONDS} s at ${WARMUP_RATE} records/s, NODE_OPTIONS "${process.env.BENCH_NODE_OPTIONS ?? RECOMMENDED_NODE_OPTIONS}", load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
let best = 0;
for (const rate of RATES) {
  const result = await run(rate, SECONDS);
  show(result);
  if (result.exportedSpans === result.sentRecords * 2) best = Math.max(best, rate);
}
console.log(`\nhighest rate with zero loss: ${best} records/s = ${best * 2} spans/s`);
if (best > 0) {
  console.log('\n2x overload:');
  show(await run(best * 2, SECONDS * 2));
}
