/** Bundles the demo services into dist/demo-app/*.cjs; resolves with that directory. */
export const DEMO_APP_DIR: string;
export function buildDemoApp(): Promise<string>;
