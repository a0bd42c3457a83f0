/**
 * What the sidecar may write is valid nginx configuration on every runtime:
 * every knob set, the longest Ingress key it accepts for a map hash bucket
 * (one character more and nginx refuses the whole configuration), and the
 * values refused annotations would have carried never reach a file.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseAnnotations } from '../../src/k8s/annotations.js';
import { ingressKey, maxKeyLength } from '../../src/k8s/ingress-key.js';
import { renderPolicyConf } from '../../src/k8s/policy-conf.js';
import { PolicyState } from '../../src/k8s/policy-state.js';
import { policyMapFiles } from '../../src/k8s/render-maps.js';
import type { Policy } from '../../src/k8s/policy-knobs.js';
import { header } from '../support/echo-upstream.js';
import { startNginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get } from './traced-nginx.js';

const P = 'njs-tracing.io/';
const BUCKET = 64;
const longest = maxKeyLength(BUCKET);
const namespace = 'n'.repeat(20);
const name = 'x'.repeat(longest - namespace.length - 1);

function policies(): Record<string, Policy> {
  const state = new PolicyState();
  const every = {
    [P + 'enabled']: 'true',
    [P + 'sample-ratio']: '0.0',
    [P + 'sampler']: 'always_on',
    [P + 'extract']: 'w3c, b3',
    [P + 'inject']: 'w3c',
    [P + 'trust-incoming']: 'false',
    [P + 'record-query']: 'on',
    [P + 'route']: '/api/{id}',
  };
  const key = ingressKey(namespace, name, BUCKET);
  if (!('key' in key)) throw new Error(key.error);
  state.apply(key.key, parseAnnotations(every, { headers: 'w3c' }));
  state.apply('shop/web', parseAnnotations({ ...every, [P + 'sampler']: 'always_off' }, { headers: 'w3c' }));
  // Hostile values are refused: the policy keeps its last valid values.
  state.apply('shop/web', parseAnnotations({ ...every, [P + 'route']: '/x"; } server {', [P + 'sampler']: '$x' }, { headers: 'w3c' }));
  return state.snapshot();
}

describeEachRuntime('policy files under nginx -t', (rt) => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function policyDir(keys: Record<string, Policy>): string {
    const host = mkdtempSync(join(rt.root ? join(rt.root, 'tmp') : tmpdir(), 'njs-tracing-policy-conf-'));
    dirs.push(host);
    chmodSync(host, 0o755);
    mkdirSync(join(host, 'current'));
    for (const [file, text] of Object.entries(policyMapFiles(keys))) writeFileSync(join(host, 'current', file), text);
    return rt.root ? '/' + relative(rt.root, host) : host;
  }

  const http = (dir: string) => `
    map_hash_bucket_size ${BUCKET};
    include tracing-http.conf;
    ${renderPolicyConf(dir)}
    server {
        listen 127.0.0.1:{{port:main}};
        location / {
            set $namespace "${namespace}";
            set $ingress_name "${name}";
            include tracing-location.conf;
            proxy_pass http://{{upstream:echo}};
        }
        location /set/ {
            set $namespace "shop";
            set $ingress_name "web";
            set $tracing_sampler always_on;
            include tracing-location.conf;
            proxy_pass http://{{upstream:echo}};
        }
        location /web/ {
            set $namespace "shop";
            set $ingress_name "web";
            include tracing-location.conf;
            proxy_pass http://{{upstream:echo}};
        }
    }`;

  it('accepts every knob and the longest key the sidecar writes, and applies them', async () => {
    const nginx = await startNginx({ runtime: rt, http: http(policyDir(policies())) });
    const { upstream } = await get(nginx, '/web/x');
    // always_on overridden by the refused "$x" keeps the earlier always_off; ratio 0 would not matter for always_*.
    expect(header(upstream!, 'traceparent')).toMatch(/-0[02]$/);
    // `set` in a location still overrides what the policy says for its Ingress.
    const set = await get(nginx, '/set/x');
    expect(header(set.upstream!, 'traceparent')).toMatch(/-0[13]$/);
    const long = await get(nginx, '/x');
    expect(header(long.upstream!, 'traceparent')).toMatch(/-0[13]$/);
    await nginx.stop();
  });

  it('refuses a key one character longer: the limit the sidecar enforces is nginx\'s', async () => {
    const tooLong = { [`${namespace}/${name}x`]: { enabled: 'off' } };
    await expect(startNginx({ runtime: rt, http: http(policyDir(tooLong)) })).rejects.toThrow(/map_hash_bucket_size/);
  });
});
