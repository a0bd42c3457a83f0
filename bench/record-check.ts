/**
 * For the benchmarks' checks: the records of a span file as the sidecar reads
 * them (either record version), one line each: "<trace id> <err or ->", or
 * "malformed <code>".
 *
 *   npx tsx bench/record-check.ts FILE
 */
import { readFileSync } from 'node:fs';
import { parseRecord } from '../src/record/parse.js';

for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line) continue;
  const result = parseRecord(line);
  console.log(result.ok ? `${result.record.traceId} ${result.record.error || '-'}` : `malformed ${result.code}`);
}
