/**
 * The demo (bash scripts/demo.sh runs this after set-up): NGINX with the
 * njs-tracing includes in front of an instrumented app (frontend → orders →
 * PostgreSQL), the sidecar, load with a progress bar, then one trace as a
 * waterfall, the per-layer table and an HTML report.
 *
 *   node --import tsx scripts/demo/run.ts [--fault slow-db|slow-handler|retry|slow-connect|slow-upload]
 *                                         [--requests N] [--concurrency N] [--port 8080] [--out demo-output]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyze } from '../../src/report/analyze.js';
import { painter } from '../../src/report/format.js';
import { layerLabel } from '../../src/report/layers.js';
import { parseOtlpJson } from '../../src/report/read-otlp-json.js';
import { renderHtml } from '../../src/report/render-html.js';
import { renderTerminal } from '../../src/report/render-terminal.js';
import { buildTraces } from '../../src/report/trace.js';
import { driveLoad, progressBar } from './load.js';
import { EXPECTED_LAYER, FAULTS, startStack, waitForRecords, type Fault } from './stack.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DEFAULT_SPAN_FILE = '/var/log/nginx/njs-tracing-spans.log';
const JS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';
const paint = painter(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
const step = (text: string) => process.stdout.write(`\n${paint(`== ${text}`, 'bold')}\n`);

const { values } = parseArgs({
  options: {
    fault: { type: 'string', default: 'none' },
    requests: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    port: { type: 'string', default: '8080' },
    out: { type: 'string', default: 'demo-output' },
  },
});
const fault = values.fault as Fault;
if (!(FAULTS as readonly string[]).includes(fault)) {
  console.error(`demo: --fault must be one of ${FAULTS.join(', ')}; got ${values.fault}`);
  process.exit(2);
}
// Every slow-connect request waits out a 1 s connect timeout: fewer of them keep the run short.
const requests = Number(values.requests ?? (fault === 'slow-connect' ? 60 : 200));
const concurrency = Number(values.concurrency);
if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('demo: --requests and --concurrency must be whole numbers >= 1');
  process.exit(2);
}
const out = resolve(values.out!);
mkdirSync(out, { recursive: true });
const otlpFile = join(out, `spans-${fault}.jsonl`);
const htmlFile = join(out, `report-${fault}.html`);
rmSync(otlpFile, { force: true });

const prefix = mkdtempSync('/tmp/njs-tracing-demo.');
chmodSync(prefix, 0o755);
for (const dir of ['conf', 'logs', 'temp']) mkdirSync(join(prefix, dir));
chmodSync(join(prefix, 'temp'), 0o777); // nginx workers (nobody) buffer request bodies here
const spanRecords = join(prefix, 'logs', 'spans.log');
// The includes as shipped, with the span record file moved into the prefix (the host's stays untouched).
for (const name of readdirSync(join(REPO, 'nginx-conf'))) {
  writeFileSync(join(prefix, 'conf', name), readFileSync(join(REPO, 'nginx-conf', name), 'utf8').replaceAll(DEFAULT_SPAN_FILE, spanRecords));
}

let stack: Awaited<ReturnType<typeof startStack>> | null = null;
let nginxStarted = false;
const nginxConf = join(prefix, 'conf', 'nginx.conf');
const stopNginx = () => {
  if (!nginxStarted) return;
  nginxStarted = false;
  try {
    execFileSync('nginx', ['-q', '-p', prefix, '-c', nginxConf, '-s', 'quit'], { stdio: 'ignore' });
  } catch {
    // already gone
  }
};
const waitNginxGone = async () => {
  for (let i = 0; i < 100 && existsSync(join(prefix, 'nginx.pid')); i++) await new Promise((r) => setTimeout(r, 100));
};

try {
  step(`starting PostgreSQL, orders, frontend and the sidecar${fault === 'none' ? '' : ` (fault: ${fault})`}`);
  stack = await startStack({ fault, dir: prefix, otlpFile, exporters: process.env.OTEL_TRACES_EXPORTER });
  const metricsUrl = await stack.startSidecar(spanRecords);

  step(`starting nginx on 127.0.0.1:${values.port}`);
  writeFileSync(
    nginxConf,
    [
      existsSync(JS_MODULE) ? `load_module ${JS_MODULE};` : '',
      'worker_processes 1;',
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/logs/error.log notice;`,
      'events {}',
      'http {',
      `    js_path "${REPO}njs";`,
      `    access_log ${prefix}/logs/access.log;`,
      `    client_body_temp_path ${prefix}/temp;`,
      `    proxy_temp_path ${prefix}/temp;`,
      '    variables_hash_bucket_size 128;',
      stack.nginxHttpConfig(`127.0.0.1:${values.port}`, join(prefix, 'conf')),
      '}',
      '',
    ].join('\n'),
  );
  execFileSync('nginx', ['-q', '-p', prefix, '-c', nginxConf], { stdio: 'inherit' });
  nginxStarted = true;

  step(`sending ${requests} requests (GET /cart/{id}, POST /checkout/{id}), ${concurrency} at a time`);
  const load = await driveLoad({
    port: Number(values.port),
    requests,
    concurrency,
    slowUpload: fault === 'slow-upload',
    onProgress: progressBar(process.stdout, 'load'),
  });
  console.log(`responses: ${Object.entries(load.statuses).map(([status, n]) => `${n} × ${status === '0' ? 'failed' : status}`).join(', ')}`);

  stopNginx(); // SIGQUIT: nginx flushes the buffered span records
  await waitNginxGone();
  await waitForRecords(metricsUrl, requests);
  await stack.stop(); // services and sidecar flush their spans on SIGTERM
  stack = null;

  const exporters = (process.env.OTEL_TRACES_EXPORTER || 'otlp-file').split(',').map((name) => name.trim());
  if (exporters.includes('otlp-file')) {
    printReport();
  } else {
    console.log(`\nspans went to ${exporters.join(', ')} only (OTEL_TRACES_EXPORTER); for the report, read them back, e.g.`);
    console.log('  npx njs-tracing report --jaeger http://localhost:16686 --service ingress-nginx');
  }
} finally {
  stopNginx();
  await waitNginxGone();
  await stack?.stop();
  rmSync(prefix, { recursive: true, force: true });
}

function printReport(): void {
  const read = parseOtlpJson(readFileSync(otlpFile, 'utf8'));
  const report = analyze(buildTraces(read.spans), otlpFile, read.skipped);
  step('one trace, as a waterfall, then where the time went');
  process.stdout.write(renderTerminal(report, paint));
  writeFileSync(htmlFile, renderHtml(report));
  if (fault !== 'none') {
    const top = report.bottlenecks[0];
    const expected = EXPECTED_LAYER[fault];
    const verdict = top?.layer === expected ? paint('found it', 'green') : paint('MISSED', 'red');
    console.log(`\ninjected: ${fault} (${layerLabel(expected)}); top bottleneck: ${top ? top.label : 'none'} → ${verdict}`);
  }
  step('files');
  console.log(`spans (OTLP file): ${otlpFile}\nHTML report:       ${htmlFile}`);
  console.log(`again, from the spans: npx njs-tracing report ${otlpFile} --html report.html`);
}
