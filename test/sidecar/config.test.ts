import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_TABLE, loadConfig } from '../../src/sidecar/config.js';
import { spawnSync } from 'node:child_process';
import { BIN, ensureBuilt, SidecarProcess } from './support/sidecar-process.js';

describe('configuration', () => {
  it('listens where the include files send records by default and exports OTLP to localhost:4318', () => {
    const config = loadConfig({});
    expect(config.udpAddress).toEqual({ host: '127.0.0.1', port: 5140 });
    expect(config.filePath).toBe('/var/log/nginx/njs-tracing-spans.log');
    expect(config.metricsAddress).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.exporters).toEqual(['otlp']);
    expect(config.otlp.url).toBe('http://localhost:4318/v1/traces');
    expect(config.serviceName).toBe('ingress-nginx');
    expect(config.batch).toEqual({ maxQueueSize: 8192, maxExportBatchSize: 512, scheduledDelayMs: 1000, exportTimeoutMs: 30000 });
  });

  it('turns a receiver, the checkpoint or the metrics server off with an empty value', () => {
    const config = loadConfig({ NJS_TRACING_UDP_ADDRESS: '', NJS_TRACING_FILE: '', NJS_TRACING_METRICS_ADDRESS: '' });
    expect([config.udpAddress, config.filePath, config.metricsAddress, config.checkpointPath]).toEqual([null, null, null, null]);
    expect(loadConfig({ NJS_TRACING_CHECKPOINT_FILE: '' }).checkpointPath).toBeNull();
  });

  it('keeps the checkpoint next to the span file unless told otherwise', () => {
    expect(loadConfig({}).checkpointPath).toBe('/var/log/nginx/njs-tracing-spans.log.checkpoint');
    expect(loadConfig({ NJS_TRACING_FILE: '/logs/s.log' }).checkpointPath).toBe('/logs/s.log.checkpoint');
    expect(loadConfig({ NJS_TRACING_CHECKPOINT_FILE: '/state/cp' }).checkpointPath).toBe('/state/cp');
    expect(loadConfig({}).fileMaxBacklogBytes).toBe(512 * 1024 * 1024);
  });

  it('treats every other variable set to the empty string (or blanks) as unset, as the OpenTelemetry spec says', () => {
    const names = ENV_TABLE.map(([, name]) => name).filter(
      (name) => !['NJS_TRACING_UDP_ADDRESS', 'NJS_TRACING_FILE', 'NJS_TRACING_METRICS_ADDRESS', 'NJS_TRACING_CHECKPOINT_FILE'].includes(name),
    );
    for (const blank of ['', '  ']) {
      expect(loadConfig(Object.fromEntries(names.map((name) => [name, blank])))).toEqual(loadConfig({}));
    }
    // An empty OTEL_SERVICE_NAME lets service.name from the resource attributes through.
    expect(loadConfig({ OTEL_SERVICE_NAME: '', OTEL_RESOURCE_ATTRIBUTES: 'service.name=edge' }).serviceName).toBe('edge');
  });

  it('appends /v1/traces to the path of OTEL_EXPORTER_OTLP_ENDPOINT, keeping its query', () => {
    const url = (endpoint: string) => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).otlp.url;
    expect(url('http://c:4318/base?x=1')).toBe('http://c:4318/base/v1/traces?x=1');
    expect(url('http://c:4318/base/?x=1')).toBe('http://c:4318/base/v1/traces?x=1');
    expect(url('http://c:4318')).toBe('http://c:4318/v1/traces');
  });

  it('follows the OpenTelemetry SDK variables for exporters, endpoints, headers and resource', () => {
    const config = loadConfig({
      OTEL_TRACES_EXPORTER: 'otlp, jaeger,console',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=shop',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=web',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500',
      OTEL_EXPORTER_JAEGER_ENDPOINT: 'http://jaeger:14268/api/traces',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.name=edge',
      POD_NAME: 'ingress-nginx-abc',
      POD_NAMESPACE: 'ingress',
      NODE_NAME: 'node-1',
    });
    expect(config.exporters).toEqual(['otlp', 'jaeger', 'console']);
    expect(config.otlp).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: { authorization: 'Bearer abc', 'x-tenant': 'web' },
      timeoutMs: 2500,
    });
    expect(config.jaeger.endpoint).toBe('http://jaeger:14268/api/traces');
    expect(config.serviceName).toBe('edge');
    expect(config.resourceAttributes).toEqual({
      'deployment.environment.name': 'prod',
      'service.name': 'edge',
      'k8s.pod.name': 'ingress-nginx-abc',
      'k8s.namespace.name': 'ingress',
      'k8s.node.name': 'node-1',
    });
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, and OTEL_SERVICE_NAME over the resource attributes', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example/custom/path',
      OTEL_SERVICE_NAME: 'edge-proxy',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=ignored',
    });
    expect(config.otlp.url).toBe('https://otlp.example/custom/path');
    expect(config.serviceName).toBe('edge-proxy');
  });

  const invalid: Array<[string, Record<string, string>, string]> = [
    ['portOutOfRange', { NJS_TRACING_UDP_ADDRESS: '127.0.0.1:70000' }, 'NJS_TRACING_UDP_ADDRESS="127.0.0.1:70000"'],
    ['addressWithoutPort', { NJS_TRACING_METRICS_ADDRESS: 'localhost' }, 'NJS_TRACING_METRICS_ADDRESS="localhost"'],
    ['queueSizeNotNumber', { OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }, 'OTEL_BSP_MAX_QUEUE_SIZE="lots"'],
    ['batchLargerThanQueue', { OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE="20"'],
    ['unknownExporter', { OTEL_TRACES_EXPORTER: 'otlp,zipkin' }, 'OTEL_TRACES_EXPORTER="otlp,zipkin"'],
    ['grpcProtocol', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL="grpc"'],
    ['endpointNotUrl', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318"'],
    ['badJaegerPort', { OTEL_EXPORTER_JAEGER_AGENT_PORT: '-1' }, 'OTEL_EXPORTER_JAEGER_AGENT_PORT="-1"'],
    ['badResourceAttributes', { OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, 'OTEL_RESOURCE_ATTRIBUTES="novalue"'],
    ['badHeaderEscape', { OTEL_EXPORTER_OTLP_HEADERS: 'a=%zz' }, 'OTEL_EXPORTER_OTLP_HEADERS="a=%zz"'],
    ['badLogLevel', { NJS_TRACING_LOG_LEVEL: 'loud' }, 'NJS_TRACING_LOG_LEVEL="loud"'],
    ['badRedaction', { NJS_TRACING_QUERY_REDACTION: 'some' }, 'NJS_TRACING_QUERY_REDACTION="some"'],
    ['badFileStart', { NJS_TRACING_FILE_START: 'middle' }, 'NJS_TRACING_FILE_START="middle"'],
  ];
  it.each(invalid)('rejects %s with a message naming the variable and the value', (_name, env, expected) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(expected);
  });

  it('has exactly one row per environment variable', () => {
    const names = ENV_TABLE.map(([, name]) => name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('starts the real bin with OpenTelemetry variables set to the empty string', async () => {
    const empty = { OTEL_SERVICE_NAME: '', OTEL_BSP_SCHEDULE_DELAY: '', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '' };
    const sidecar = await SidecarProcess.start(empty);
    expect(sidecar.logs.find((line) => line.msg === 'sidecar started')).toMatchObject({ exporters: ['otlp'] });
    await sidecar.stop('SIGKILL');
  });

  it('stops the real bin at start-up with exit code 2 and a message naming the bad variable', async () => {
    await ensureBuilt();
    const result = spawnSync(process.execPath, [BIN], {
      env: { PATH: process.env.PATH, OTEL_BSP_SCHEDULE_DELAY: 'soon' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('OTEL_BSP_SCHEDULE_DELAY="soon" is invalid');
  });
});
