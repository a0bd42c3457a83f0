/**
 * npm run build           — bundle src/njs into njs/tracing.js, render nginx-conf/,
 *                            copy both and a single-file sidecar into the Helm
 *                            chart (scripts/chart-files.ts), bundle the sidecar
 *                            into dist/sidecar.js (not committed)
 * npm run build -- --check — the same, but fail when the committed outputs differ
 *                            from a fresh build instead of writing them
 *
 * The bundle must run on njs 0.7.9: esbuild lowers what it can of newer syntax
 * and errors on the rest, and a scan rejects builtins that njs 0.7.9 lacks.
 */
import { readFileSync, writeFileSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfText } from '../src/conf/fragments/index.js';
import { bundleNjs } from './njs-bundle.js';
import { buildSidecar } from './build-sidecar.mjs';
import { buildReport } from './build-report.mjs';
import { chartFiles, extraneousChartFiles } from './chart-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

function renderConf(name: string): string {
  return renderConfText(readFileSync(join(root, 'src/conf', name), 'utf8'));
}

async function main(): Promise<void> {
  const outputs = new Map<string, string>();
  outputs.set('njs/tracing.js', await bundleNjs(join(root, 'src/njs/entry.ts')));
  for (const name of readdirSync(join(root, 'src/conf')).filter((f) => f.endsWith('.conf'))) {
    outputs.set(join('nginx-conf', name), renderConf(name));
  }

  for (const [path, content] of await chartFiles(outputs)) outputs.set(path, content);

  const stale: string[] = extraneousChartFiles(outputs.keys(), check);
  for (const [path, content] of outputs) {
    const target = join(root, path);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : null;
    if (current === content) continue;
    if (check) stale.push(path);
    else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
  if (stale.length > 0) {
    console.error(`stale build outputs (run npm run build and commit): ${stale.join(', ')}`);
    process.exit(1);
  }
  const sidecar = await buildSidecar();
  console.log(check ? 'build outputs are up to date' : `built ${[...outputs.keys()].join(', ')}`);
  console.log(`built ${sidecar}`);
  console.log(`built ${await buildReport()}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
