/**
 * The floor of the sidecar's cost, for bench/sidecar-node-ab.sh (not a test,
 * not a product): the sidecar's own file reader (FileTail, same chunks, same
 * line splitting, same polling) following the span file, doing only
 *   read   nothing with each line, or
 *   parse  JSON.parse of each line (the JSON step of parseRecord alone),
 * and no mapping, queueing, checkpointing or export. It serves the one metric
 * the A/B script waits on, njs_tracing_spans_exported_total (2 per record, as
 * the real sidecar's SERVER + CLIENT spans), on NJS_TRACING_METRICS_ADDRESS.
 *
 *   NJS_TRACING_FILE=... NJS_TRACING_METRICS_ADDRESS=127.0.0.1:9464 \
 *     node --import tsx bench/sidecar-floor.ts read|parse
 */
import { createServer } from 'node:http';
import { MAX_RECORD_BYTES } from '../src/record/fields.js';
import { FileTail } from '../src/sidecar/receive/file-tail.js';
import { createLogger } from '../src/sidecar/observe/logger.js';

const mode = process.argv[2];
if (mode !== 'read' && mode !== 'parse') throw new Error('usage: sidecar-floor.ts read|parse');
const [host, port] = (process.env.NJS_TRACING_METRICS_ADDRESS ?? '127.0.0.1:9464').split(':');
let records = 0;
let parsedFields = 0;

const tail = new FileTail({
  path: process.env.NJS_TRACING_FILE!,
  pollMs: 200,
  startAt: 'end',
  resumeFrom: null,
  reclaimBytes: 0,
  maxBacklogBytes: 0,
  maxLineBytes: MAX_RECORD_BYTES,
  onLine: (line) => {
    records++;
    // Keep a result, so the parse cannot be optimized away.
    if (mode === 'parse') parsedFields += (JSON.parse(line) as { tid: string }).tid.length;
    return true;
  },
  whenRoom: () => Promise.resolve(),
  logger: createLogger('warn'),
});
await tail.start();

createServer((_request, response) => {
  response.end(`njs_tracing_spans_exported_total ${records * 2}\nnjs_tracing_spans_dropped_total 0\nfloor_parsed_fields ${parsedFields}\n`);
}).listen(Number(port), host);
process.on('SIGTERM', () => process.exit(0));
