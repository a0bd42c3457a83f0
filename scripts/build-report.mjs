// Bundles `njs-tracing report` (src/report/entry.ts) into dist/report.js for
// bin/njs-tracing.js, the same way scripts/build-sidecar.mjs bundles the
// sidecar: dependencies external, temp file then rename.
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildReport() {
  const outfile = `${root}dist/report.js`;
  const temporary = `${outfile}.${randomBytes(4).toString('hex')}.tmp`;
  await build({
    entryPoints: [`${root}src/report/entry.ts`],
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
  console.log(`built ${await buildReport()}`);
}
