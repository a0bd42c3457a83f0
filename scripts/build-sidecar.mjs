// Bundles the sidecar (src/sidecar/cli.ts) into dist/sidecar.js for
// bin/njs-tracing-sidecar.js (the OpenTelemetry/Jaeger packages stay in
// node_modules and load their Thrift IDL as usual).
import { fileURLToPath } from 'node:url';
import { bundleNodeEntry } from './bundle-node-entry.mjs';

export const buildSidecar = () => bundleNodeEntry('sidecar/cli.ts', 'sidecar');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`built ${await buildSidecar()}`);
}
