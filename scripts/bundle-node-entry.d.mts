/** Bundles `src/<entry>` into `dist/<name>.js`; resolves with the output path. */
export function bundleNodeEntry(entry: string, name: string): Promise<string>;
