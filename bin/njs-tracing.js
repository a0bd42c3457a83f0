#!/usr/bin/env node
// njs-tracing <command>: today one command, `report` (src/report/). Runs the
// prebuilt bundle (dist/report.js, made by `npm run build`), else the
// TypeScript sources through tsx, like bin/njs-tracing-sidecar.js.
import { existsSync } from 'node:fs';

const [command, ...rest] = process.argv.slice(2);
if (command !== 'report') {
  process.stderr.write(`usage: njs-tracing report [options]   (njs-tracing report --help)\n`);
  process.exit(command === undefined || command === '--help' || command === '-h' ? 0 : 2);
}
process.argv.splice(2, 1);
void rest;
const bundle = new URL('../dist/report.js', import.meta.url);
if (existsSync(bundle) && process.env.NJS_TRACING_REPORT_FROM_SOURCE !== '1') {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/report/entry.ts', import.meta.url).href);
}
