/**
 * Per-Ingress policy end to end: a Kubernetes API double (list/watch wire
 * format), the real sidecar bin watching it from a kubeconfig and writing the
 * policy files, and real nginx in an ingress-nginx-shaped configuration (the
 * controller's per-location `set $namespace …; set $ingress_name …;` and its
 * own proxy_set_header lines, our includes where its http-snippet and
 * location-snippet land). The sidecar reloads nginx through its pid file.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderPolicyConf } from '../../src/k8s/policy-conf.js';
import { header } from '../support/echo-upstream.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime, type Runtime } from '../support/runtimes.js';
import { SidecarProcess } from '../sidecar/support/sidecar-process.js';
import { get, uniquePath } from './traced-nginx.js';

const P = 'njs-tracing.io/';
/** The Ingresses behind the test server's locations: location name -> namespace/name. */
const INGRESSES = { 'shop-web': ['shop', 'web'], 'shop-api': ['shop', 'api'], 'ops-admin': ['ops', 'admin'] } as const;
type Location = keyof typeof INGRESSES | 'no-ingress';

/** A location as ingress-nginx's nginx.tmpl writes it, with the location-snippet include. */
function ingressLocation(location: Location, namespace: string, name: string): string {
  return `
        location /${location}/ {
            set $namespace      "${namespace}";
            set $ingress_name   "${name}";
            set $service_name   "${name}";
            set $service_port   "80";
            set $location_path  "/${location}/";
            proxy_set_header Host $host;
            proxy_set_header X-Request-ID $request_id;
            proxy_set_header X-Forwarded-For $remote_addr;
            # location-snippet
            include tracing-location.conf;
            proxy_pass http://{{upstream:echo}};
        }`;
}

function ingressNginxHttp(policyDir: string, defaults: { enabled?: string } = {}): string {
  return `
    map_hash_bucket_size 64;
    variables_hash_bucket_size 256;
    # http-snippet
    include tracing-http.conf;
    ${renderPolicyConf(policyDir, defaults)}
    server {
        listen 127.0.0.1:{{port:main}};
        ${Object.entries(INGRESSES).map(([location, [ns, name]]) => ingressLocation(location as Location, ns, name)).join('')}
        ${ingressLocation('no-ingress', '', '')}
    }`;
}

type Tracing = 'off' | 'sampled' | 'unsampled';

/** What nginx did for one request to a location: no context sent upstream, or its sampled flag. */
async function tracing(nginx: Nginx, location: Location): Promise<Tracing> {
  const { upstream } = await get(nginx, uniquePath(location));
  const traceparent = header(upstream!, 'traceparent');
  if (!traceparent) return 'off';
  return Number.parseInt(traceparent.slice(-2), 16) & 1 ? 'sampled' : 'unsampled';
}

/** Every location's tracing, as one object, so a failure shows them all. */
async function all(nginx: Nginx): Promise<Record<Location, Tracing>> {
  const result = {} as Record<Location, Tracing>;
  for (const location of [...Object.keys(INGRESSES), 'no-ingress'] as Location[]) result[location] = await tracing(nginx, location);
  return result;
}

/**
 * True when the nginx master has a single child: during a reload the old
 * worker keeps accepting connections for a moment next to the new one, so
 * answers from both configurations interleave until it has exited.
 */
function oneWorker(nginx: Nginx): boolean {
  const master = readFileSync(join(nginx.prefix, 'nginx.pid'), 'utf8').trim();
  let children = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === master) children++;
    } catch {
      // exited meanwhile
    }
  }
  return children === 1;
}

/** Polls until nginx, done reloading, answers as expected; the sidecar writes and reloads within its 2 s interval. */
async function converge(nginx: Nginx, expected: Record<Location, Tracing>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    while (!oneWorker(nginx) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const now = await all(nginx);
    if (JSON.stringify(now) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) expect(now).toEqual(expected);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeEachRuntime('per-Ingress policy from annotations', (rt: Runtime) => {
  const api = new FakeKubeApi();
  let hostDir = '';
  let nginxDir = '';
  let nginx: Nginx;
  let sidecar: SidecarProcess;

  beforeAll(async () => {
    hostDir = mkdtempSync(join(rt.root ? join(rt.root, 'tmp') : tmpdir(), 'njs-tracing-policy-'));
    chmodSync(hostDir, 0o755);
    nginxDir = (rt.root ? '/' + relative(rt.root, hostDir) : hostDir) + '/policy';
    await api.start();
    api.upsert({ namespace: 'shop', name: 'web' });
    api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'sample-ratio']: '0' } });
    api.upsert({ namespace: 'ops', name: 'admin', annotations: { [P + 'enabled']: 'false' } });
    nginx = await startNginx({ runtime: rt, http: ingressNginxHttp(nginxDir) });
    sidecar = await SidecarProcess.start({
      KUBECONFIG: api.writeKubeconfig(join(hostDir, 'kubeconfig')),
      NJS_TRACING_POLICY_DIR: join(hostDir, 'policy'),
      NJS_TRACING_POLICY_NGINX_PID_FILE: join(nginx.prefix, 'nginx.pid'),
      NJS_TRACING_POLICY_RECONNECT_MAX_MS: '1000',
      OTEL_TRACES_EXPORTER: 'none',
    });
  }, 60_000);

  const readCurrent = (name: string) => {
    try {
      return readFileSync(join(hostDir, 'policy', 'current', name), 'utf8');
    } catch {
      return '';
    }
  };

  afterAll(async () => {
    await sidecar?.stop();
    await api.stop();
    rmSync(hostDir, { recursive: true, force: true });
  });

  it('applies each Ingress its own annotations; an Ingress without them, and locations of no Ingress, keep the defaults', async () => {
    await converge(nginx, { 'shop-web': 'sampled', 'shop-api': 'unsampled', 'ops-admin': 'off', 'no-ingress': 'sampled' });
  });

  it('follows a flipped annotation on one Ingress and leaves the others as they were', async () => {
    api.upsert({ namespace: 'shop', name: 'web', annotations: { [P + 'enabled']: 'false' } });
    await converge(nginx, { 'shop-web': 'off', 'shop-api': 'unsampled', 'ops-admin': 'off', 'no-ingress': 'sampled' });
  });

  it('refuses invalid and hostile values with a log line, a metric and an Event; the Ingress keeps its last valid policy', async () => {
    const hostile = '0; } server { listen 1; } map $a $b { default 1';
    api.upsert({ namespace: 'shop', name: 'api', annotations: { [P + 'sample-ratio']: hostile, [P + 'route']: '/x"; include /etc/passwd;' } });
    const event = await waitFor(() => api.events.find((e) => e.body.involvedObject?.name === 'api'));
    expect(event).toMatchObject({ namespace: 'shop', body: { reason: 'InvalidTracingAnnotation', type: 'Warning' } });
    await sidecar.waitForLog((l) => l.annotation === P + 'sample-ratio' && l.msg.startsWith('refused'));
    expect(await sidecar.metricValue('njs_tracing_policy_refused_annotations_total', { annotation: P + 'route' })).toBe(1);
    await converge(nginx, { 'shop-web': 'off', 'shop-api': 'unsampled', 'ops-admin': 'off', 'no-ingress': 'sampled' });
  });

  it('reverts to the defaults when the annotation is removed, and when the Ingress is deleted', async () => {
    api.upsert({ namespace: 'ops', name: 'admin' });
    api.delete('shop', 'api');
    await converge(nginx, { 'shop-web': 'off', 'shop-api': 'sampled', 'ops-admin': 'sampled', 'no-ingress': 'sampled' });
  });

  it('keeps the last policy while the API is away, says so on /readyz, and catches up with changes made meanwhile', async () => {
    await api.stop();
    const readyz = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${sidecar.metricsPort}/readyz`);
      return response.status === 503 ? response.text() : null;
    });
    expect(readyz).toContain('Kubernetes API unreachable');
    await converge(nginx, { 'shop-web': 'off', 'shop-api': 'sampled', 'ops-admin': 'sampled', 'no-ingress': 'sampled' });
    expect(await all(nginx)).toEqual({ 'shop-web': 'off', 'shop-api': 'sampled', 'ops-admin': 'sampled', 'no-ingress': 'sampled' });

    api.upsert({ namespace: 'shop', name: 'web', annotations: { [P + 'sample-ratio']: '0' } });
    api.compact(); // resuming the watch now gets 410 Gone: the sidecar must relist
    await api.start(api.port);
    await converge(nginx, { 'shop-web': 'unsampled', 'shop-api': 'sampled', 'ops-admin': 'sampled', 'no-ingress': 'sampled' });
    expect(api.expiredWatches).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${sidecar.metricsPort}/readyz`)).status).toBe(200);
  });

  it('a restarted nginx starts from the current policy (here in mode "annotated": only opted-in Ingresses traced)', async () => {
    api.upsert({ namespace: 'ops', name: 'admin', annotations: { [P + 'enabled']: 'true' } });
    // Tracing looks the same as before (on is the default in mode all): wait for the file instead.
    await waitFor(() => readCurrent('ingresses.map').includes('"ops/admin"') && readCurrent('enabled.map').includes('"on"'));
    await nginx.stop();
    // A new nginx (new pid file: the sidecar cannot signal it) reads the files at start.
    nginx = await startNginx({ runtime: rt, http: ingressNginxHttp(nginxDir, { enabled: 'off' }) });
    expect(await all(nginx)).toEqual({ 'shop-web': 'off', 'shop-api': 'off', 'ops-admin': 'sampled', 'no-ingress': 'off' });
  });
});

async function waitFor<T>(probe: () => T | null | undefined | Promise<T | null | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
