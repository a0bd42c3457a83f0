#!/usr/bin/env node
// njs-tracing-sidecar: receives NGINX span records, exports OpenTelemetry spans.
// Runs the prebuilt bundle (dist/sidecar.js, made by scripts/build-sidecar.mjs
// during `npm run build`). In a fresh checkout without a build it falls back to
// running the TypeScript sources through tsx, so no build step is required.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/sidecar.js', import.meta.url);
if (existsSync(bundle) && process.env.NJS_TRACING_SIDECAR_FROM_SOURCE !== '1') {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/sidecar/cli.ts', import.meta.url).href);
}
