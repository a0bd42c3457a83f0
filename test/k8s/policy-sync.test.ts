/**
 * The watcher and the policy files against a Kubernetes API double speaking
 * the list/watch protocol, with @kubernetes/client-node reading a kubeconfig.
 * nginx here is this test process: the pid file names it, and it counts the
 * SIGHUPs it receives (integration/ingress-policy.test.ts has real nginx).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '../../src/k8s/kube-api.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPolicySync, type PolicySync } from '../../src/k8s/policy-sync.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { until } from '../support/child-process.js';

const P = 'njs-tracing.io/';
let hups = 0;
const onHup = () => hups++;
const dir = mkdtempSync(join(tmpdir(), 'njs-tracing-policy-sync-'));
const pidFile = join(dir, 'nginx.pid');

beforeAll(() => {
  process.on('SIGHUP', onHup);
  writeFileSync(pidFile, `${process.pid}\n`);
});
afterAll(() => {
  process.off('SIGHUP', onHup);
  rmSync(dir, { recursive: true, force: true });
});

describe('policy sync', () => {
  const api = new FakeKubeApi();
  let sync: PolicySync | null = null;
  let policyDir = '';
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const map = (name: string) => {
    try {
      return readFileSync(join(policyDir, 'current', name), 'utf8');
    } catch {
      return '';
    }
  };
  const start = async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.writeKubeconfig(join(dir, 'kubeconfig')));
    sync = await startPolicySync(
      { dir: policyDir, nginxPidFile: pidFile, headers: 'w3c', mapHashBucketSize: 64, reloadIntervalMs: 200, reconnectMaxMs: 400, instance: 'test' },
      { logger, registry: new Registry(), kubeConfig },
    );
  };

  beforeAll(async () => {
    await api.start();
  });
  afterEach(async () => {
    await sync?.stop();
    sync = null;
  });
  afterAll(() => api.stop());

  it('writes the annotated Ingresses, follows changes, reverts removed annotations and reports refused ones', async () => {
    policyDir = join(dir, 'p1');
    api.upsert({ namespace: 'shop', name: 'web' });
    api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'sample-ratio']: '0.01' } });
    const before = hups;
    await start();
    await until('first policy', () => map('sample_ratio.map').includes('"0.01"'));
    await until('ready', () => sync!.ready());
    expect(map('ingresses.map')).toContain('"shop/api" p1;');
    expect(map('ingresses.map')).not.toContain('shop/web');
    await until('a reload', () => hups > before);

    api.upsert({ namespace: 'shop', name: 'web', annotations: { [P + 'enabled']: 'false' } });
    await until('web off', () => map('enabled.map').includes('"off"') && map('ingresses.map').includes('"shop/web"'));

    api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'sample-ratio']: '7', [P + 'colour']: 'blue' } });
    const event = await until('an Event', () => api.events.find((e) => e.body.involvedObject?.name === 'api'));
    expect(event.body).toMatchObject({ reason: 'InvalidTracingAnnotation', type: 'Warning', involvedObject: { kind: 'Ingress', namespace: 'shop' } });
    expect(event.body.message).toContain('sample-ratio="7" refused');
    expect(event.body.message).toContain('colour');
    expect(map('sample_ratio.map')).toContain('"0.01"');
    expect(lines.some((l) => l.annotation === P + 'sample-ratio' && l.value === '7')).toBe(true);

    api.upsert({ namespace: 'shop', name: 'web' });
    await until('web reverted', () => !map('ingresses.map').includes('"shop/web"'));
    api.delete('shop', 'api');
    await until('api gone', () => !map('ingresses.map').includes('"shop/api"'));
    expect(readdirSync(policyDir).filter((n) => n.startsWith('g-')).length).toBeLessThanOrEqual(2);
  });

  it('keeps the last policy while the API is away, says so, and catches up through a relist after 410 Gone', async () => {
    policyDir = join(dir, 'p2');
    api.upsert({ namespace: 'ops', name: 'admin', annotations: { [P + 'enabled']: 'off' } });
    await start();
    await until('admin off', () => map('ingresses.map').includes('"ops/admin"'));
    await until('watching', () => api.watcherCount > 0);

    await api.stop();
    await until('not ready', () => !sync!.ready());
    expect(sync!.status()).toContain('unreachable');
    expect(map('ingresses.map')).toContain('"ops/admin"');

    // Changes while the API is away; its history is compacted, so resuming the watch gets 410 Gone.
    api.upsert({ namespace: 'ops', name: 'admin', annotations: { [P + 'sample-ratio']: '0.5' } });
    api.delete('shop', 'web');
    api.compact();
    const seen = api.requests.length;
    await api.start(api.port);
    await until('caught up', () => map('sample_ratio.map').includes('"0.5"') && !map('enabled.map').includes('"off"'));
    await until('ready again', () => sync!.ready());
    expect(api.expiredWatches).toBeGreaterThan(0);
    expect(api.requests.slice(seen).filter((r) => !r.includes('watch=true'))).toContain('GET /apis/networking.k8s.io/v1/ingresses');
  });

  it('resumes a dropped watch and sees changes made in between', async () => {
    policyDir = join(dir, 'p3');
    await start();
    await until('watching', () => api.watcherCount > 0 && sync!.ready());
    api.bookmark();
    api.dropWatches();
    api.upsert({ namespace: 'shop', name: 'cart', annotations: { [P + 'route']: '/cart/{id}' } });
    await until('cart route', () => map('route.map').includes('"/cart/{id}"'));
    const watches = api.requests.filter((r) => r.includes('watch=true'));
    expect(watches.every((r) => r.includes('allowWatchBookmarks=true'))).toBe(true);
  });

  it('starts from the policy the last run wrote, before the API answers', async () => {
    policyDir = join(dir, 'p1');
    api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'sample-ratio']: '0.01' } });
    await start();
    await until('api', () => map('ingresses.map').includes('"shop/api"'));
    await sync!.stop();
    sync = null;
    await api.stop();
    // A refused value on restart keeps the value the previous run had accepted.
    api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'sample-ratio']: 'lots' } });
    await start();
    expect(existsSync(join(policyDir, 'current'))).toBe(true);
    const generation = readlinkSync(join(policyDir, 'current'));
    await api.start(api.port);
    await until('ready', () => sync!.ready());
    expect(map('sample_ratio.map')).toContain('"0.01"');
    expect(readlinkSync(join(policyDir, 'current'))).toBe(generation);
  });

  it('turns Events off after a 403, keeping logs and metrics', async () => {
    policyDir = join(dir, 'p4');
    api.forbidEvents = true;
    api.upsert({ namespace: 'shop', name: 'bad', annotations: { [P + 'sampler']: 'nope' } });
    await start();
    await until('forbidden logged', () => lines.some((l) => String(l.msg).includes('creating Events is forbidden')));
    api.forbidEvents = false;
  });
});
