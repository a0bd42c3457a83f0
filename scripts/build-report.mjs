// Bundles `njs-tracing report` (src/report/entry.ts) into dist/report.js for
// bin/njs-tracing.js.
import { fileURLToPath } from 'node:url';
import { bundleNodeEntry } from './bundle-node-entry.mjs';

export const buildReport = () => bundleNodeEntry('report/entry.ts', 'report');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`built ${await buildReport()}`);
}
