// Bundles the demo services (scripts/demo/app/*.ts) into dist/demo-app/*.cjs.
// CommonJS with the packages left external, so the OpenTelemetry
// instrumentations, preloaded with --require telemetry.cjs, see `http` and
// `pg` being required and patch them.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_APP_DIR = `${root}dist/demo-app`;

export async function buildDemoApp() {
  await build({
    entryPoints: ['telemetry', 'frontend', 'orders'].map((name) => `${root}scripts/demo/app/${name}.ts`),
    outdir: DEMO_APP_DIR,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  return DEMO_APP_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`built ${await buildDemoApp()}`);
}
