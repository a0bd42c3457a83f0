/** Bundles src/sidecar/cli.ts into dist/sidecar.js; resolves with the output path. */
export function buildSidecar(): Promise<string>;
