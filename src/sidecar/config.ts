/**
 * The sidecar's whole configuration, read once from the environment at
 * start-up. This is the only file that reads process.env; everything else
 * takes a SidecarConfig. Names follow the OpenTelemetry SDK environment
 * specification where one exists, NJS_TRACING_* otherwise. docs/sidecar.md has
 * the same table for users.
 *
 * As the OpenTelemetry spec requires, a variable set to the empty string (or
 * only spaces) counts as unset and gets its default, except the three where
 * "empty = off" is our documented switch (EMPTY_MEANS_OFF).
 *
 * Why not @opentelemetry/core's getNumberFromEnv/getStringFromEnv: on a bad
 * value they warn through `diag` (silent unless a diag logger is installed)
 * and fall back to the default, so a typo in a Deployment would run with
 * settings nobody chose. We fail fast instead, exit 2 with the variable and
 * the value named, and check ranges the SDK does not (batch <= queue, ports).
 */
import {
  ConfigError,
  parseChoice,
  parseChoiceList,
  parseHostPort,
  parseInteger,
  parseKeyValueList,
  parseUrl,
  type HostPort,
} from './config-values.js';
import { loadPolicyConfig, type PolicyConfig } from '../k8s/policy-config.js';

export { ConfigError };

export const EXPORTER_NAMES = ['otlp', 'jaeger', 'console', 'file', 'otlp-file', 'none'] as const;
export type ExporterName = Exclude<(typeof EXPORTER_NAMES)[number], 'none'>;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const QUERY_REDACTIONS = ['all', 'sensitive', 'none'] as const;
export type QueryRedaction = (typeof QUERY_REDACTIONS)[number];

export interface SidecarConfig {
  /** UDP syslog listener; null = off. */
  udpAddress: HostPort | null;
  udpReceiveBufferBytes: number;
  /** Span log file to tail; null = off. */
  filePath: string | null;
  filePollMs: number;
  /** Where to start in a file that already exists at start-up. */
  fileStart: 'end' | 'beginning';
  /** Punch a hole over delivered bytes every this many bytes; 0 = never. */
  fileReclaimBytes: number;
  /** Where the file source keeps its read position; null = no checkpoint. */
  checkpointPath: string | null;
  /** Unread span log bytes past which the oldest are skipped; 0 = no limit. */
  fileMaxBacklogBytes: number;
  /** /metrics, /healthz, /readyz; null = off. */
  metricsAddress: HostPort | null;
  metricsMaxLabelSets: number;
  logLevel: (typeof LOG_LEVELS)[number];
  queryRedaction: QueryRedaction;
  shutdownTimeoutMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  /** Empty when OTEL_TRACES_EXPORTER=none. */
  exporters: ExporterName[];
  batch: { maxQueueSize: number; maxExportBatchSize: number; scheduledDelayMs: number; exportTimeoutMs: number };
  maxRetryBackoffMs: number;
  otlp: { url: string; headers: Record<string, string>; timeoutMs: number };
  jaeger: { host: string; port: number; endpoint: string; username: string; password: string };
  fileExporterPath: string;
  /** Where the otlp-file exporter appends OTLP/JSON lines. */
  otlpFilePath: string;
  /** Per-Ingress policy from annotations (src/k8s); null = off. */
  policy: PolicyConfig | null;
}

type Env = Record<string, string | undefined>;

/** [option, ENV_NAME, default]: one row per knob, defaults in one place. */
export const ENV_TABLE = [
  ['udpAddress', 'NJS_TRACING_UDP_ADDRESS', '127.0.0.1:5140'],
  ['udpReceiveBufferBytes', 'NJS_TRACING_UDP_RECEIVE_BUFFER_BYTES', String(8 * 1024 * 1024)],
  ['filePath', 'NJS_TRACING_FILE', '/var/log/nginx/njs-tracing-spans.log'],
  ['filePollMs', 'NJS_TRACING_FILE_POLL_MS', '200'],
  ['fileStart', 'NJS_TRACING_FILE_START', 'end'],
  ['fileReclaimBytes', 'NJS_TRACING_FILE_RECLAIM_BYTES', String(4 * 1024 * 1024)],
  // Default: next to the span file (NJS_TRACING_FILE + ".checkpoint"), filled in by loadConfig.
  ['checkpointPath', 'NJS_TRACING_CHECKPOINT_FILE', ''],
  ['fileMaxBacklogBytes', 'NJS_TRACING_FILE_MAX_BACKLOG_BYTES', String(512 * 1024 * 1024)],
  ['metricsAddress', 'NJS_TRACING_METRICS_ADDRESS', '0.0.0.0:9464'],
  ['metricsMaxLabelSets', 'NJS_TRACING_METRICS_MAX_LABEL_SETS', '200'],
  ['logLevel', 'NJS_TRACING_LOG_LEVEL', 'info'],
  ['queryRedaction', 'NJS_TRACING_QUERY_REDACTION', 'all'],
  ['shutdownTimeoutMs', 'NJS_TRACING_SHUTDOWN_TIMEOUT_MS', '5000'],
  ['maxRetryBackoffMs', 'NJS_TRACING_EXPORT_MAX_BACKOFF_MS', '5000'],
  ['fileExporterPath', 'NJS_TRACING_FILE_EXPORTER_PATH', '/dev/stdout'],
  ['otlpFilePath', 'NJS_TRACING_OTLP_FILE_PATH', '/dev/stdout'],
  ['serviceName', 'OTEL_SERVICE_NAME', 'ingress-nginx'],
  ['resourceAttributes', 'OTEL_RESOURCE_ATTRIBUTES', ''],
  ['exporters', 'OTEL_TRACES_EXPORTER', 'otlp'],
  ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', '8192'],
  ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '512'],
  ['scheduledDelayMs', 'OTEL_BSP_SCHEDULE_DELAY', '1000'],
  ['exportTimeoutMs', 'OTEL_BSP_EXPORT_TIMEOUT', '30000'],
  ['otlpEndpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'http://localhost:4318'],
  ['otlpTracesEndpoint', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ''],
  ['otlpProtocol', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf'],
  ['otlpTracesProtocol', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', ''],
  ['otlpHeaders', 'OTEL_EXPORTER_OTLP_HEADERS', ''],
  ['otlpTracesHeaders', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', ''],
  ['otlpTimeoutMs', 'OTEL_EXPORTER_OTLP_TIMEOUT', '10000'],
  ['otlpTracesTimeoutMs', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', ''],
  ['jaegerAgentHost', 'OTEL_EXPORTER_JAEGER_AGENT_HOST', 'localhost'],
  ['jaegerAgentPort', 'OTEL_EXPORTER_JAEGER_AGENT_PORT', '6832'],
  ['jaegerEndpoint', 'OTEL_EXPORTER_JAEGER_ENDPOINT', ''],
  ['jaegerUser', 'OTEL_EXPORTER_JAEGER_USER', ''],
  ['jaegerPassword', 'OTEL_EXPORTER_JAEGER_PASSWORD', ''],
  ['podName', 'POD_NAME', ''],
  ['podNamespace', 'POD_NAMESPACE', ''],
  ['nodeName', 'NODE_NAME', ''],
] as const;

type Option = (typeof ENV_TABLE)[number][0];

/** Pod identity from the Downward API, as resource attributes. */
const POD_ATTRIBUTES: ReadonlyArray<[Option, string]> = [
  ['podName', 'k8s.pod.name'],
  ['podNamespace', 'k8s.namespace.name'],
  ['nodeName', 'k8s.node.name'],
];

/** Our own variables where an empty value turns the receiver or server off. */
const EMPTY_MEANS_OFF: ReadonlySet<string> = new Set([
  'NJS_TRACING_UDP_ADDRESS',
  'NJS_TRACING_FILE',
  'NJS_TRACING_METRICS_ADDRESS',
  'NJS_TRACING_CHECKPOINT_FILE',
]);

const MAX_PORT = 65535;
const HOUR_MS = 3_600_000;

export function loadConfig(env: Env = process.env): SidecarConfig {
  const row = (option: Option) => ENV_TABLE.find((entry) => entry[0] === option)!;
  /** Set to something other than blanks (or to anything, for the EMPTY_MEANS_OFF ones). */
  const isSet = (name: string) => env[name] !== undefined && (EMPTY_MEANS_OFF.has(name) || env[name]!.trim() !== '');
  /** The raw value, or the default when unset. */
  const raw = (option: Option): [string, string] => {
    const [, name, fallback] = row(option);
    return [name, isSet(name) ? env[name]! : fallback];
  };
  const text = (option: Option) => raw(option)[1].trim();
  const integer = (option: Option, min: number, max: number) => parseInteger(...raw(option), min, max);
  const optionalAddress = (option: Option) => {
    const [name, value] = raw(option);
    return value.trim() === '' ? null : parseHostPort(name, value.trim());
  };

  const batch = {
    maxQueueSize: integer('maxQueueSize', 1, 1_000_000),
    maxExportBatchSize: integer('maxExportBatchSize', 1, 100_000),
    scheduledDelayMs: integer('scheduledDelayMs', 1, HOUR_MS),
    exportTimeoutMs: integer('exportTimeoutMs', 1, HOUR_MS),
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize) {
    throw new ConfigError(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      String(batch.maxExportBatchSize),
      `at most OTEL_BSP_MAX_QUEUE_SIZE (${batch.maxQueueSize})`,
    );
  }

  for (const option of ['otlpProtocol', 'otlpTracesProtocol'] as const) {
    const [name, value] = raw(option);
    if (value.trim() !== '') parseChoice(name, value, ['http/protobuf'] as const);
  }
  const tracesEndpoint = text('otlpTracesEndpoint');
  const otlpUrl =
    tracesEndpoint !== ''
      ? parseUrl(row('otlpTracesEndpoint')[1], tracesEndpoint)
      : appendTracesPath(parseUrl(row('otlpEndpoint')[1], text('otlpEndpoint')));
  const tracesTimeout = text('otlpTracesTimeoutMs');

  const resourceAttributes = parseKeyValueList(...raw('resourceAttributes'));
  for (const [option, attribute] of POD_ATTRIBUTES) {
    if (text(option) !== '') resourceAttributes[attribute] = text(option);
  }

  const jaegerEndpoint = text('jaegerEndpoint');
  const filePath = text('filePath');
  const checkpointName = row('checkpointPath')[1];
  const checkpointPath = env[checkpointName] === undefined ? (filePath === '' ? '' : `${filePath}.checkpoint`) : text('checkpointPath');
  return {
    udpAddress: optionalAddress('udpAddress'),
    udpReceiveBufferBytes: integer('udpReceiveBufferBytes', 0, 1 << 30),
    filePath: filePath === '' ? null : filePath,
    filePollMs: integer('filePollMs', 10, 60_000),
    fileStart: parseChoice(...raw('fileStart'), ['end', 'beginning'] as const),
    fileReclaimBytes: integer('fileReclaimBytes', 0, Number.MAX_SAFE_INTEGER),
    checkpointPath: filePath === '' || checkpointPath === '' ? null : checkpointPath,
    fileMaxBacklogBytes: integer('fileMaxBacklogBytes', 0, Number.MAX_SAFE_INTEGER),
    metricsAddress: optionalAddress('metricsAddress'),
    metricsMaxLabelSets: integer('metricsMaxLabelSets', 1, 100_000),
    logLevel: parseChoice(...raw('logLevel'), LOG_LEVELS),
    queryRedaction: parseChoice(...raw('queryRedaction'), QUERY_REDACTIONS),
    shutdownTimeoutMs: integer('shutdownTimeoutMs', 0, HOUR_MS),
    maxRetryBackoffMs: integer('maxRetryBackoffMs', 10, HOUR_MS),
    fileExporterPath: text('fileExporterPath'),
    otlpFilePath: text('otlpFilePath'),
    // An explicit OTEL_SERVICE_NAME wins, then service.name in OTEL_RESOURCE_ATTRIBUTES, then the default.
    serviceName:
      !isSet(row('serviceName')[1]) && resourceAttributes['service.name']
        ? resourceAttributes['service.name']
        : text('serviceName'),
    resourceAttributes,
    exporters: parseChoiceList(...raw('exporters'), EXPORTER_NAMES).filter((name): name is ExporterName => name !== 'none'),
    batch,
    otlp: {
      url: otlpUrl,
      headers: { ...parseKeyValueList(...raw('otlpHeaders')), ...parseKeyValueList(...raw('otlpTracesHeaders')) },
      timeoutMs: tracesTimeout !== '' ? integer('otlpTracesTimeoutMs', 1, HOUR_MS) : integer('otlpTimeoutMs', 1, HOUR_MS),
    },
    jaeger: {
      host: text('jaegerAgentHost'),
      port: integer('jaegerAgentPort', 1, MAX_PORT),
      endpoint: jaegerEndpoint === '' ? '' : parseUrl(row('jaegerEndpoint')[1], jaegerEndpoint),
      username: text('jaegerUser'),
      password: raw('jaegerPassword')[1],
    },
    policy: loadPolicyConfig(env),
  };
}

/** OTLP base URL -> traces URL: `/v1/traces` goes onto the path, before any query (`/base?x=1` -> `/base/v1/traces?x=1`). */
function appendTracesPath(base: string): string {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/?$/, '/v1/traces');
  return url.toString();
}
