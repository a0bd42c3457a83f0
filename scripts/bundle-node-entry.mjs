// Bundles one TypeScript entry point into dist/NAME.js for a bin/ command.
// Dependencies stay external (node_modules), so the bundle is small and the
// packages load their own files as usual. Writes to a temp file and renames,
// so parallel builds (tests) never expose a half-written bundle.
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `src/<entry>` into `dist/<name>.js`; resolves with the output path. */
export async function bundleNodeEntry(entry, name) {
  const outfile = `${root}dist/${name}.js`;
  const temporary = `${outfile}.${randomBytes(4).toString('hex')}.tmp`;
  await build({
    entryPoints: [`${root}src/${entry}`],
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
