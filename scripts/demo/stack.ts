/**
 * The demo's moving parts, started the same way by scripts/demo/run.ts and by
 * the tests: PostgreSQL, the instrumented `orders` and `frontend` services,
 * the sidecar (startSidecar: it tails NGINX's span records), and whatever a fault scenario
 * adds (a broken second frontend, a listener that never accepts). NGINX
 * itself is started by the caller with `nginxHttpConfig()` inside http {}.
 * Every span (sidecar and services) goes to one OTLP file, `otlpFile`.
 */
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildSidecar } from '../build-sidecar.mjs';
import { buildDemoApp } from './build-app.mjs';
import { startPostgres, type Postgres } from './postgres.js';
import { freePorts, startChild, waitHealthy, type Child } from './processes.js';

export const FAULTS = ['none', 'slow-db', 'slow-handler', 'retry', 'slow-connect', 'slow-upload'] as const;
export type Fault = (typeof FAULTS)[number];

/** The size of each injected fault; large against the few ms a healthy request takes. */
export const FAULT_SIZE = {
  slowQueryMs: 250,
  handlerDelayMs: 250,
  failAfterMs: 200,
  connectTimeout: '1s',
  /** slow-upload: body pieces and the gap between them (about 480 ms per upload). */
  uploadPieces: 5,
  uploadGapMs: 120,
} as const;

/** Which layer (src/report/layers.ts key) each fault should make the top bottleneck. */
export const EXPECTED_LAYER: Record<Exclude<Fault, 'none'>, string> = {
  'slow-db': 'call:orders→postgresql',
  'slow-handler': 'app:frontend',
  retry: 'upstream_retry',
  'slow-connect': 'upstream_connect',
  'slow-upload': 'nginx',
};

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface StackOptions {
  fault: Fault;
  /** A temp dir for PostgreSQL's data. */
  dir: string;
  /** Every span goes here (OTLP file format). */
  otlpFile: string;
  /** OTEL_TRACES_EXPORTER for the sidecar and services; `otlp-file` unless set (add `otlp` to send to an endpoint too). */
  exporters?: string;
  /** More environment for the sidecar and services, e.g. OTEL_EXPORTER_OTLP_ENDPOINT. */
  env?: Record<string, string>;
}

export interface Stack {
  fault: Fault;
  nginxHttpConfig(listen: string, includeDir: string): string;
  /** Starts the sidecar tailing NGINX's span record file (it may not exist yet); resolves with its /metrics URL. */
  startSidecar(spanRecords: string): Promise<string>;
  stop(): Promise<void>;
}

/** The servers the demo's upstream group tries in order, per fault. */
function upstreamServers(fault: Fault, ports: { frontend: number; broken: number; backlog: number }): string[] {
  const good = `127.0.0.1:${ports.frontend}`;
  if (fault === 'retry') return [`server 127.0.0.1:${ports.broken} max_fails=0;`, `server ${good} backup;`];
  if (fault === 'slow-connect') return [`server 127.0.0.1:${ports.backlog} max_fails=0;`, `server ${good} backup;`];
  return [`server ${good};`];
}

/** Opens connections until the listener's accept queue is full (one connect hangs); returns them to keep. */
async function fillAcceptQueue(port: number): Promise<Socket[]> {
  const plugs: Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    plugs.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      socket.once('connect', () => (clearTimeout(timer), resolve(true)));
    });
    if (!connected) return plugs;
  }
  throw new Error(`port ${port} kept accepting: not a full backlog`);
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { fault } = options;
  const exporters = options.exporters || 'otlp-file';
  const children: Child[] = [];
  let postgres: Postgres | null = null;
  let plugs: Socket[] = [];
  const stop = async () => {
    // Services first (their SIGTERM flushes spans), the sidecar last.
    for (const child of [...children].reverse()) await child.stop();
    plugs.forEach((socket) => socket.destroy());
    await postgres?.stop();
  };
  try {
    const [pgPort, ordersPort, frontendPort, brokenPort, backlogPort, metricsPort] = await freePorts(6);
    // The sidecar bin runs dist/sidecar.js when present: make it the current sources.
    await Promise.all([buildDemoApp(), buildSidecar()]);
    postgres = await startPostgres({ dir: options.dir, port: pgPort, slowQueryMs: fault === 'slow-db' ? FAULT_SIZE.slowQueryMs : 0 });
    const telemetry = ['--require', `${REPO}dist/demo-app/telemetry.cjs`];
    const common = {
      OTEL_TRACES_EXPORTER: exporters,
      NJS_TRACING_OTLP_FILE_PATH: options.otlpFile,
      OTEL_SEMCONV_STABILITY_OPT_IN: 'http,database',
      ...options.env,
    };
    const service = async (name: string, entry: string, port: number, env: Record<string, string>) => {
      const child = startChild(name, process.execPath, [...telemetry, `${REPO}dist/demo-app/${entry}.cjs`], {
        ...common,
        OTEL_SERVICE_NAME: name,
        PORT: String(port),
        ...env,
      });
      children.push(child);
      await waitHealthy(child, `http://127.0.0.1:${port}/healthz`);
    };
    await service('orders', 'orders', ordersPort, { DATABASE_URL: postgres.url });
    const ordersUrl = `http://127.0.0.1:${ordersPort}`;
    await service('frontend', 'frontend', frontendPort, {
      ORDERS_URL: ordersUrl,
      DEMO_HANDLER_DELAY_MS: String(fault === 'slow-handler' ? FAULT_SIZE.handlerDelayMs : 0),
    });
    if (fault === 'retry') {
      await service('frontend', 'frontend', brokenPort, { ORDERS_URL: ordersUrl, DEMO_FAIL_AFTER_MS: String(FAULT_SIZE.failAfterMs) });
    }
    if (fault === 'slow-connect') {
      const backlog = startChild('full-backlog', process.execPath, [`${REPO}scripts/demo/full-backlog.mjs`, String(backlogPort)], {});
      children.push(backlog);
      await new Promise<void>((resolve, reject) => {
        backlog.process.stdout!.once('data', () => resolve());
        backlog.process.once('exit', () => reject(new Error(`full-backlog exited:\n${backlog.output()}`)));
      });
      plugs = await fillAcceptQueue(backlogPort);
    }
    const servers = upstreamServers(fault, { frontend: frontendPort, broken: brokenPort, backlog: backlogPort });
    const nginxHttpConfig = (listen: string, includeDir: string) => `
    include ${includeDir}/tracing-http.conf;
    upstream demo_frontend {
        ${servers.join('\n        ')}
    }
    server {
        listen ${listen};
        # A broken instance (retry) answers 502; one that never accepts (slow-connect) times out.
        # The demo's checkout is safe to repeat, so POSTs are retried too.
        proxy_next_upstream error timeout http_502 non_idempotent;
        proxy_connect_timeout ${FAULT_SIZE.connectTimeout};
        location /cart/ {
            set $tracing_route "/cart/{id}";
            include ${includeDir}/tracing-location.conf;
            proxy_pass http://demo_frontend;
        }
        location /checkout/ {
            set $tracing_route "/checkout/{id}";
            include ${includeDir}/tracing-location.conf;
            proxy_pass http://demo_frontend;
        }
    }`;
    const startSidecar = async (spanRecords: string) => {
      const sidecar = startChild('sidecar', process.execPath, [`${REPO}bin/njs-tracing-sidecar.js`], {
        ...common,
        OTEL_SERVICE_NAME: 'ingress-nginx',
        NJS_TRACING_UDP_ADDRESS: '',
        NJS_TRACING_FILE: spanRecords,
        NJS_TRACING_FILE_START: 'beginning',
        NJS_TRACING_FILE_POLL_MS: '50',
        NJS_TRACING_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        NJS_TRACING_LOG_LEVEL: 'warn',
      });
      children.unshift(sidecar); // stopped last
      await waitHealthy(sidecar, `http://127.0.0.1:${metricsPort}/healthz`);
      return `http://127.0.0.1:${metricsPort}/metrics`;
    };
    return { fault, nginxHttpConfig, startSidecar, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Records the sidecar has read so far (its njs_tracing_records_received_total). */
export async function recordsReceived(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('njs_tracing_records_received_total{')) total += Number(line.split(' ').pop());
  }
  return total;
}

/** Waits until the sidecar has read `count` records (NGINX flushes its buffered log on SIGQUIT). */
export async function waitForRecords(metricsUrl: string, count: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await recordsReceived(metricsUrl);
    if (seen >= count) return;
    if (Date.now() > deadline) throw new Error(`the sidecar read ${seen} of ${count} span records`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
