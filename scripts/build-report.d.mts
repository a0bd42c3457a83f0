/** Bundles src/report/entry.ts into dist/report.js; resolves with the output path. */
export function buildReport(): Promise<string>;
