/**
 * The Helm chart can only read files inside itself, so the build copies what
 * the chart mounts into helm/njs-tracing/files/: njs/tracing.js and
 * nginx-conf/*.conf exactly as built, and the sidecar as one self-contained
 * file. They are build outputs like the originals: committed, and
 * `npm run build -- --check` fails when a copy is stale or left over.
 */
import { readdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSidecarSingleFile } from './sidecar-single-file.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHART_FILES_DIR = 'helm/njs-tracing/files';
/** File name of the single-file sidecar inside the chart (and its ConfigMap key). */
export const SIDECAR_FILE = 'njs-tracing-sidecar.cjs';

/** Chart copies of the built njs and conf outputs, plus the sidecar bundle. */
export async function chartFiles(built: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [path, content] of built) {
    if (path.startsWith('njs/') || path.startsWith('nginx-conf/')) files.set(join(CHART_FILES_DIR, path), content);
  }
  files.set(join(CHART_FILES_DIR, 'sidecar', SIDECAR_FILE), await bundleSidecarSingleFile());
  return files;
}

/** Files under the chart's files/ that the build no longer makes; deleted unless `check`. */
export function extraneousChartFiles(expected: Iterable<string>, check: boolean): string[] {
  const wanted = new Set(expected);
  const dir = join(root, CHART_FILES_DIR);
  if (!existsSync(dir)) return [];
  const extra = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((path) => !wanted.has(path));
  if (!check) extra.forEach((path) => rmSync(join(root, path)));
  return check ? extra : [];
}
