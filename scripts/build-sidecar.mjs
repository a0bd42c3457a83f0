// Bundles the sidecar (src/sidecar/cli.ts) into dist/sidecar.js for
// bin/njs-tracing-sidecar.js. Dependencies stay external (node_modules), so
// the bundle is small and the OpenTelemetry/Jaeger packages load their own
// files (Thrift IDL) as usual. Writes to a temp file and renames, so parallel
// builds (tests) never expose a half-written bundle.
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildSidecar() {
  const outfile = `${root}dist/sidecar.js`;
  const temporary = `${outfile}.${randomBytes(4).toString('hex')}.tmp`;
  await build({
    entryPoints: [`${root}src/sidecar/cli.ts`],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  await rename(temporary, outfile);
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = await buildSidecar();
  console.log(`built ${outfile}`);
}
