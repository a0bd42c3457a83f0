import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/sidecar/config.js';

describe('per-Ingress policy settings', () => {
  it('are off unless NJS_TRACING_POLICY_DIR is set: no watcher, no API access', () => {
    expect(loadConfig({}).policy).toBeNull();
    expect(loadConfig({ NJS_TRACING_POLICY_DIR: '  ' }).policy).toBeNull();
  });

  it('take the documented defaults', () => {
    expect(loadConfig({ NJS_TRACING_POLICY_DIR: '/var/lib/njs-tracing/policy', POD_NAME: 'ingress-0' }).policy).toEqual({
      dir: '/var/lib/njs-tracing/policy',
      nginxPidFile: null,
      headers: 'w3c',
      mapHashBucketSize: 64,
      reloadIntervalMs: 2000,
      reconnectMaxMs: 30000,
      instance: 'ingress-0',
    });
  });

  it('name the variable and the value when one is invalid', () => {
    const env = { NJS_TRACING_POLICY_DIR: '/p' };
    expect(() => loadConfig({ ...env, NJS_TRACING_POLICY_HEADERS: 'b3' })).toThrow(/NJS_TRACING_POLICY_HEADERS="b3"/);
    // A reload interval above 8 s could break the promise that a change is in force within 10 s.
    expect(() => loadConfig({ ...env, NJS_TRACING_POLICY_RELOAD_INTERVAL_MS: '9000' })).toThrow(/NJS_TRACING_POLICY_RELOAD_INTERVAL_MS/);
    expect(() => loadConfig({ ...env, NJS_TRACING_POLICY_MAP_HASH_BUCKET_SIZE: '16' })).toThrow(/from 32 to 65536/);
  });
});
