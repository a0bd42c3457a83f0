/**
 * njs-tracing report: where did the time of each request go, layer by layer.
 *
 *   njs-tracing report spans.jsonl                     # OTLP file / OTLP JSON / Jaeger JSON
 *   njs-tracing report --jaeger http://jaeger:16686 --service ingress-nginx --limit 200
 *   njs-tracing report spans.jsonl --json              # the report as JSON
 *   njs-tracing report spans.jsonl --html report.html  # a self-contained page
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { analyze } from './analyze.js';
import { painter } from './format.js';
import { fetchJaegerTraces } from './read-jaeger.js';
import { readSpanFiles } from './read-input.js';
import { renderHtml } from './render-html.js';
import { renderTerminal } from './render-terminal.js';
import { buildTraces } from './trace.js';

const USAGE = `usage: njs-tracing report [FILE ...] [--jaeger URL [--service NAME] [--limit N] [--lookback 1h]]
                          [--json] [--html FILE] [--no-waterfall] [--color | --no-color]
  FILE         OTLP file (one ExportTraceServiceRequest JSON per line), an OTLP JSON
               document or Jaeger query JSON; '-' reads stdin
  --jaeger     read from Jaeger's query API (GET URL/api/traces?service=…&limit=…)
  --service    the service whose traces to fetch (default ingress-nginx)
  --limit      how many traces to fetch (default 500)
  --json       print the report as JSON instead of the table
  --html FILE  also write a self-contained HTML report (waterfalls, charts)
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        jaeger: { type: 'string' },
        service: { type: 'string', default: 'ingress-nginx' },
        limit: { type: 'string', default: '500' },
        lookback: { type: 'string' },
        json: { type: 'boolean', default: false },
        html: { type: 'string' },
        'no-waterfall': { type: 'boolean', default: false },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`njs-tracing report: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    process.stderr.write(`njs-tracing report: --limit must be 1..100000, got ${JSON.stringify(values.limit)}\n`);
    return 2;
  }
  if (!values.jaeger && positionals.length === 0) {
    process.stderr.write(`njs-tracing report: name a span file or --jaeger URL\n${USAGE}`);
    return 2;
  }

  let read;
  let source;
  try {
    if (values.jaeger) {
      read = await fetchJaegerTraces({ url: values.jaeger, service: values.service!, limit, lookback: values.lookback });
      source = `Jaeger ${values.jaeger} (service ${values.service})`;
    } else {
      read = await readSpanFiles(positionals);
      source = positionals.join(', ');
    }
  } catch (error) {
    process.stderr.write(`njs-tracing report: ${(error as Error).message}\n`);
    return 1;
  }

  const report = analyze(buildTraces(read.spans), source, read.skipped);
  if (values.html) await writeFile(values.html, renderHtml(report));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const colour = values['no-color'] ? false : (values.color ?? (process.stdout.isTTY && !process.env.NO_COLOR));
    process.stdout.write(renderTerminal(report, painter(Boolean(colour)), { waterfall: !values['no-waterfall'] }));
    if (values.html) process.stdout.write(`HTML report: ${values.html}\n`);
  }
  return 0;
}
