/**
 * The per-Ingress policy's settings, from the same environment as the rest
 * of the sidecar (src/sidecar/config.ts passes it in). NJS_TRACING_POLICY_DIR
 * empty (the default) = the feature is off: no watcher, no API access.
 */
import { parseChoice, parseInteger } from '../sidecar/config-values.js';

export interface PolicyConfig {
  /** Where the map files go; tracing-policy.conf includes DIR/current/*.map. */
  dir: string;
  /** nginx's pid file; null = find the "nginx: master process" in /proc. */
  nginxPidFile: string | null;
  /** `$tracing__headers` in the controller's locations: `all` with tracing-location-formats.conf. */
  headers: 'w3c' | 'all';
  /** nginx map_hash_bucket_size (ingress-nginx ConfigMap map-hash-bucket-size). */
  mapHashBucketSize: number;
  /** Least time between two reloads caused by annotation changes. */
  reloadIntervalMs: number;
  /** Longest wait between attempts to reach the Kubernetes API. */
  reconnectMaxMs: number;
  /** Names this sidecar in Events (POD_NAME). */
  instance: string;
}

type Env = Record<string, string | undefined>;

export const POLICY_ENV_TABLE = [
  ['dir', 'NJS_TRACING_POLICY_DIR', ''],
  ['nginxPidFile', 'NJS_TRACING_POLICY_NGINX_PID_FILE', ''],
  ['headers', 'NJS_TRACING_POLICY_HEADERS', 'w3c'],
  ['mapHashBucketSize', 'NJS_TRACING_POLICY_MAP_HASH_BUCKET_SIZE', '64'],
  ['reloadIntervalMs', 'NJS_TRACING_POLICY_RELOAD_INTERVAL_MS', '2000'],
  ['reconnectMaxMs', 'NJS_TRACING_POLICY_RECONNECT_MAX_MS', '30000'],
] as const;

export function loadPolicyConfig(env: Env): PolicyConfig | null {
  const value = (option: (typeof POLICY_ENV_TABLE)[number][0]): [string, string] => {
    const [, name, fallback] = POLICY_ENV_TABLE.find((row) => row[0] === option)!;
    const raw = env[name];
    return [name, raw === undefined || raw.trim() === '' ? fallback : raw.trim()];
  };
  const dir = value('dir')[1];
  if (dir === '') return null;
  const pidFile = value('nginxPidFile')[1];
  return {
    dir,
    nginxPidFile: pidFile === '' ? null : pidFile,
    headers: parseChoice(...value('headers'), ['w3c', 'all'] as const),
    mapHashBucketSize: parseInteger(...value('mapHashBucketSize'), 32, 65536),
    // At most 10 s, so a change is always in force within the 10 s the README promises.
    reloadIntervalMs: parseInteger(...value('reloadIntervalMs'), 100, 8000),
    reconnectMaxMs: parseInteger(...value('reconnectMaxMs'), 100, 600_000),
    instance: (env.POD_NAME ?? '').trim() || 'njs-tracing-sidecar',
  };
}
