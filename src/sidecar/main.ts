/**
 * Wires the sidecar together: config -> exporters and their queues -> ingest
 * -> receivers, plus the HTTP endpoints; and shuts it down in order on
 * SIGTERM/SIGINT: stop receiving, flush the queues until
 * NJS_TRACING_SHUTDOWN_TIMEOUT_MS (a hard bound: requests still running are
 * aborted), write the checkpoint of what was delivered, exit 0.
 */
import { ConfigError, loadConfig, type SidecarConfig } from './config.js';
import { ExportPipeline } from './export/export-pipeline.js';
import { createExporter, exportConcurrency, requestTimeoutMs } from './export/exporters.js';
import { CheckpointStore } from './receive/checkpoint.js';
import { FileTail } from './receive/file-tail.js';
import { SidecarHttpServer } from './observe/http-server.js';
import { Ingest } from './ingest.js';
import { createLogger, RateLimitedLog, type Logger } from './observe/logger.js';
import { SidecarMetrics } from './observe/metrics.js';
import { MAX_RECORD_BYTES } from '../record/fields.js';
import { buildResource, TRACING_SCOPE } from './map/resource.js';
import { UdpReceiver } from './receive/udp-receiver.js';
import { startPolicySync } from '../k8s/policy-sync.js';
import { udpDrops } from './observe/udp-drops.js';
import { queueSizeForHeap } from './export/queue-memory.js';
import { getHeapStatistics } from 'node:v8';

/** A last checkpoint write gets this long past the deadline: a rename and two fsyncs. */
const CHECKPOINT_FLUSH_LIMIT_MS = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The batch settings with the queue lowered to what the heap holds (see queue-memory.ts), logged when it was. */
function fitQueuesToHeap(batch: SidecarConfig['batch'], logger: Logger): SidecarConfig['batch'] {
  const heapLimit = getHeapStatistics().heap_size_limit;
  const maxQueueSize = queueSizeForHeap(batch.maxQueueSize, heapLimit);
  if (maxQueueSize === batch.maxQueueSize) return batch;
  logger.warn(
    { configured: batch.maxQueueSize, used: maxQueueSize, heapLimitMb: Math.round(heapLimit / 2 ** 20) },
    'OTEL_BSP_MAX_QUEUE_SIZE lowered to what the heap holds; raise --max-old-space-size (NODE_OPTIONS) to keep it',
  );
  return { ...batch, maxQueueSize, maxExportBatchSize: Math.min(batch.maxExportBatchSize, maxQueueSize) };
}

export interface RunningSidecar {
  shutdown(reason: string): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, logger: Logger): Promise<RunningSidecar> {
  const metrics = new SidecarMetrics(config.metricsMaxLabelSets);
  const batch = fitQueuesToHeap(config.batch, logger);
  const pipelines = config.exporters.map(
    (name) =>
      new ExportPipeline({
        name,
        exporter: createExporter(name, config),
        ...batch,
        exportTimeoutMs: requestTimeoutMs(name, config),
        maxConcurrentExports: exportConcurrency(name, config),
        maxRetryBackoffMs: config.maxRetryBackoffMs,
        metrics,
        logger,
      }),
  );
  if (pipelines.length === 0) logger.warn('OTEL_TRACES_EXPORTER=none: records are counted but no spans are exported');
  const ingest = new Ingest(
    metrics,
    { resource: buildResource(config), scope: TRACING_SCOPE, queryRedaction: config.queryRedaction },
    pipelines,
    new RateLimitedLog(logger),
  );

  let ready = false;
  const policy = config.policy ? await startPolicySync(config.policy, { logger, registry: metrics.registry }) : null;
  const http = config.metricsAddress
    ? new SidecarHttpServer({
        address: config.metricsAddress,
        registry: metrics.registry,
        isReady: () => ready && (policy?.ready() ?? true),
        detail: policy ? () => policy.status() : undefined,
        logger,
      })
    : null;
  await http?.start();

  const udp = config.udpAddress
    ? new UdpReceiver({
        address: config.udpAddress,
        receiveBufferBytes: config.udpReceiveBufferBytes,
        onLine: (line) => ingest.handleLine(line, 'udp'),
        logger,
      })
    : null;
  const udpPort = await udp?.start();
  if (config.udpAddress && udpPort !== undefined) {
    const host = config.udpAddress.host;
    metrics.udpDropsSource = () => udpDrops(host, udpPort);
  }

  const checkpoint = config.filePath && config.checkpointPath ? new CheckpointStore(config.checkpointPath, logger) : null;
  const file = config.filePath
    ? new FileTail({
        path: config.filePath,
        pollMs: config.filePollMs,
        startAt: config.fileStart,
        resumeFrom: checkpoint?.load() ?? null,
        reclaimBytes: config.fileReclaimBytes,
        maxBacklogBytes: config.fileMaxBacklogBytes,
        maxLineBytes: MAX_RECORD_BYTES,
        maxUncommitted: pipelines.reduce((sum, pipeline) => sum + pipeline.capacity, 0),
        waitForDurable: checkpoint !== null,
        onLine: (line, mark) => ingest.handleLine(line, 'file', mark),
        whenRoom: () => ingest.whenRoom(),
        onCommit: (position) => checkpoint?.save(position),
        onSkip: (bytes) => metrics.fileSkippedBytes.inc(bytes),
        onEvent: (event) => metrics.fileEvents.labels(event).inc(),
        logger,
      })
    : null;
  if (checkpoint && file) checkpoint.onDurable = (position) => file.durable(position);
  await file?.start();
  if (!udp && !file) logger.warn('NJS_TRACING_UDP_ADDRESS and NJS_TRACING_FILE are both empty: nothing to receive');
  ready = true;
  logger.info({ exporters: config.exporters }, 'sidecar started');

  let stopping: Promise<void> | null = null;
  return {
    shutdown(reason: string) {
      stopping ??= (async () => {
        ready = false;
        const deadline = Date.now() + config.shutdownTimeoutMs;
        logger.info({ reason, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: flushing queued spans');
        await udp?.stop();
        await file?.stop();
        await policy?.stop();
        await Promise.all(pipelines.map((pipeline) => pipeline.shutdown(deadline)));
        // What the queues delivered until the deadline is committed by now; the rest is read again next time.
        if (checkpoint) await Promise.race([checkpoint.flush(), sleep(CHECKPOINT_FLUSH_LIMIT_MS)]);
        await http?.stop();
        logger.info('shutdown complete');
      })();
      return stopping;
    },
  };
}

/** The command line entry: reads the environment, starts, and handles signals. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: SidecarConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`njs-tracing-sidecar: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled promise rejection'));

  let sidecar: RunningSidecar;
  try {
    sidecar = await startSidecar(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without waiting for the flush');
      process.exit(1);
    }
    void sidecar.shutdown(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
