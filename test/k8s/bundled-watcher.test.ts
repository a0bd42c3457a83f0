/**
 * The policy watcher bundled the way the chart's single-file sidecar is (one
 * minified CommonJS file, every dependency inlined, client-node's unused
 * modules stubbed by scripts/client-node-stubs.ts) and run by `node` alone
 * from a folder without node_modules: it still reads the kubeconfig, lists,
 * watches, writes the policy and creates Events.
 */
import { spawnWatched, until } from '../support/child-process.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientNodeStubs } from '../../scripts/client-node-stubs.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const P = 'njs-tracing.io/';
const dir = mkdtempSync(join(tmpdir(), 'njs-tracing-bundled-watcher-'));
const api = new FakeKubeApi();

const ENTRY = `
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startPolicySync } from './src/k8s/policy-sync.ts';
import { loadPolicyConfig } from './src/k8s/policy-config.ts';
startPolicySync(loadPolicyConfig(process.env), { logger: pino(), registry: new Registry() });
`;

beforeAll(async () => {
  await api.start();
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: REPO, loader: 'ts' },
    bundle: true, write: false, platform: 'node', target: 'node20', format: 'cjs', minify: true,
    plugins: [clientNodeStubs()], logLevel: 'error',
  });
  writeFileSync(join(dir, 'watcher.cjs'), result.outputFiles[0].contents);
}, 60_000);
afterAll(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('builds without the generated API clients and models, and runs the policy from a folder without node_modules', async () => {
  const size = readFileSync(join(dir, 'watcher.cjs')).length;
  // ~0.28 MB with pino and prom-client; the generated clients and models alone would add ~0.9 MB.
  expect(size).toBeLessThan(400_000);
  api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'sample-ratio']: '0.01' } });
  api.upsert({ namespace: 'shop', name: 'web', annotations: { [P + 'sampler']: 'sometimes' } });
  const watcher = spawnWatched(process.execPath, [join(dir, 'watcher.cjs')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', KUBECONFIG: api.writeKubeconfig(join(dir, 'kubeconfig')), NJS_TRACING_POLICY_DIR: join(dir, 'policy') },
  });
  try {
    const written = () => {
      try {
        return readFileSync(join(dir, 'policy', 'current', 'sample_ratio.map'), 'utf8');
      } catch {
        return '';
      }
    };
    await until('the policy and an Event from the bundled watcher', () => written().includes('"0.01"') && api.events.length > 0, {
      timeoutMs: 20_000,
      child: watcher,
    });
    expect(api.events[0].body).toMatchObject({ reason: 'InvalidTracingAnnotation', involvedObject: { name: 'web' } });
    expect(watcher.output()).not.toContain('is not bundled');
  } finally {
    watcher.child.kill('SIGTERM');
  }
});

it('fails the build when a stub no longer matches what client-node imports', async () => {
  await expect(
    build({
      stdin: { contents: "import '@kubernetes/client-node/dist/watch.js';", resolveDir: REPO, loader: 'js' },
      bundle: true, write: false, platform: 'node', plugins: [clientNodeStubs()], logLevel: 'silent',
    }),
  ).rejects.toThrow(/client-node stubs not applied/);
});

