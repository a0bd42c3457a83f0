/**
 * Start a real nginx (one of the three runtimes) with a test's config inside
 * http {}, the repo's nginx-conf/*.conf and njs/*.js copied next to it, and
 * the record sinks pointed at per-test receivers.
 *
 * Temp prefix layout (for chroot runtimes it lives in ROOT/tmp, and every path
 * written into the config is the path nginx sees inside the chroot):
 *   conf/nginx.conf conf/tracing-*.conf   js/tracing.js js/<files>
 *   logs/error.log logs/access.log logs/spans.log   temp/*   nginx.pid
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, connect } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { Runtime } from './runtimes.js';
import { startEchoUpstream, type EchoOptions, type EchoUpstream } from './echo-upstream.js';
import { startUdpCapture, type UdpCapture } from './udp-capture.js';
import { fileCapture, type FileCapture } from './file-capture.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The sink defaults written literally in nginx-conf/*.conf; rewritten per test. */
const DEFAULT_SPAN_FILE = '/var/log/nginx/njs-tracing-spans.log';
const DEFAULT_SYSLOG = '127.0.0.1:5140';
const ERROR_LINE = /\[(alert|emerg|crit|error)\]/;
const TIMEOUT_MS = 10_000; // for start-up and for graceful stop

export interface NginxOptions {
  runtime: Runtime;
  /**
   * Config placed inside http {} after our js_path and temp paths. Placeholders:
   *   {{port:NAME}}      a free 127.0.0.1 port (same NAME, same port); start
   *                      waits until every one accepts
   *   {{upstream:NAME}}  127.0.0.1:PORT of an echo upstream started for NAME
   *   {{syslog}}         127.0.0.1:PORT of the UDP capture (the rewritten syslog sink)
   *   {{spans}}          the span record file (the rewritten file sink)
   *   {{prefix}} {{conf}} {{js}} {{logs}}   directories, as nginx sees them
   * Example: `include tracing-http.conf; server { listen 127.0.0.1:{{port:main}}; … }`
   * (relative includes resolve against the conf dir).
   */
  http: string;
  /** Directives for the main (top-level) context, e.g. `env OTEL_SERVICE_NAME;`. */
  main?: string;
  /** Extra files: a host path is copied into the js dir; {from, to} copies to a prefix-relative path. */
  files?: Array<string | { from: string; to: string }>;
  /** Echo upstream options per name; names used in `http` but absent here get defaults. */
  upstreams?: Record<string, EchoOptions>;
  /** error.log lines at [error]/[crit]/[alert]/[emerg] that stop() tolerates. */
  allowErrors?: RegExp[];
  /** Point the syslog sink here (e.g. a sidecar under test) instead of the harness's UDP capture. */
  syslogAddress?: string;
  /** false: no load_module line of the harness's (the config under test loads the njs module itself, in `main`). */
  loadJsModule?: boolean;
}

export interface Nginx {
  runtime: Runtime;
  /** Host path of the temp prefix. */
  prefix: string;
  port(name: string): number;
  /** http://127.0.0.1:PORT/path for the {{port:server}} listener (default "main"). */
  url(path: string, server?: string): string;
  upstream(name: string): EchoUpstream;
  /** Datagrams nginx sent to the syslog sink. */
  syslog: UdpCapture;
  /** Lines nginx wrote to the span record file. */
  spanFile: FileCapture;
  errorLog(): string;
  accessLog(): string;
  /**
   * Graceful stop (SIGQUIT flushes buffered logs), then throw on unexpected
   * error.log lines. Runs by itself after the test file; logs and captures
   * stay readable until then.
   */
  stop(): Promise<void>;
}

const live = new Set<() => Promise<void>>();
// nginx started outside a test (beforeAll) is stopped, and checked, here.
afterAll(async () => {
  const errors: unknown[] = [];
  for (const dispose of [...live]) await dispose().catch((e) => errors.push(e));
  if (errors.length) throw errors[0];
});
// If the test process dies, ask every nginx for a fast shutdown (workers too).
// Registered once per process, however many test files import this module.
const g = globalThis as { njsTracingChildren?: Set<ChildProcess> };
const children = g.njsTracingChildren ?? new Set<ChildProcess>();
if (!g.njsTracingChildren) process.once('exit', () => children.forEach((c) => c.kill('SIGTERM')));
g.njsTracingChildren = children;

const running = (p: ChildProcess | null) => !!p && p.exitCode === null && p.signalCode === null;

export async function startNginx(options: NginxOptions): Promise<Nginx> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      // Free ports come from binding port 0; a parallel test may take one first.
      if (attempt < 3 && /Address already in use/.test(String(err))) continue;
      throw err;
    }
  }
}

async function startOnce(options: NginxOptions): Promise<Nginx> {
  const { runtime: rt } = options;
  const prefix = fs.mkdtempSync(join(rt.root ? join(rt.root, 'tmp') : tmpdir(), 'njs-tracing-'));
  fs.chmodSync(prefix, 0o755); // workers run as www-data
  const n = (hostPath: string) => (rt.root ? '/' + relative(rt.root, hostPath) : hostPath);
  const [conf, js, logs, temp] = ['conf', 'js', 'logs', 'temp'].map((d) => join(prefix, d));
  [conf, js, logs, temp].forEach((d) => fs.mkdirSync(d));
  const upstreams = new Map<string, EchoUpstream>();
  const ports = new Map<string, number>();
  const syslog = await startUdpCapture();
  let child: ChildProcess | null = null;
  let output = '';
  const readLog = (name: string) => (fs.existsSync(join(logs, name)) ? fs.readFileSync(join(logs, name), 'utf8') : '');
  const tail = () =>
    `\n--- ${rt.name} error.log (tail) ---\n${readLog('error.log').split('\n').slice(-40).join('\n')}` +
    (output ? `\n--- nginx stdout/stderr ---\n${output.slice(-4000)}` : '');

  // Stops processes and receivers; the prefix (logs, spans) stays until dispose().
  const cleanup = async () => {
    if (running(child)) {
      child!.kill('SIGKILL');
      await exited(child!, TIMEOUT_MS);
    }
    await Promise.all([syslog.close(), ...[...upstreams.values()].map((u) => u.close())]);
  };
  const removePrefix = () => process.env.NJS_TRACING_KEEP || fs.rmSync(prefix, { recursive: true, force: true });

  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= stopAndCheck());
  // End of test/file: stop (and check) unless the test already did, then delete the prefix.
  const dispose = async () => {
    live.delete(dispose);
    await (stopping ? stopping.catch(() => undefined) : stop()).finally(removePrefix);
  };
  live.add(dispose);

  async function stopAndCheck(): Promise<void> {
    try {
      if (!running(child)) throw new Error(`nginx exited early (code ${child?.exitCode}, signal ${child?.signalCode})`);
      child!.kill('SIGQUIT');
      if (!(await exited(child!, TIMEOUT_MS))) throw new Error(`nginx did not exit ${TIMEOUT_MS} ms after SIGQUIT`);
      const allow = options.allowErrors ?? [];
      const bad = readLog('error.log').split('\n').filter((l) => ERROR_LINE.test(l) && !allow.some((re) => re.test(l)));
      if (bad.length) throw new Error(`unexpected lines in nginx error.log:\n${bad.join('\n')}`);
    } catch (err) {
      throw withTail(err, tail());
    } finally {
      await cleanup();
    }
  }

  try {
    const named: Record<string, string> = {
      syslog: options.syslogAddress ?? syslog.address, spans: n(join(logs, 'spans.log')),
      prefix: n(prefix), conf: n(conf), js: n(js), logs: n(logs),
    };
    for (const [, kind, name] of options.http.matchAll(/\{\{(port|upstream):([\w-]+)\}\}/g)) {
      if (kind === 'port') ports.set(name, 0);
      else if (!upstreams.has(name)) upstreams.set(name, await startEchoUpstream(options.upstreams?.[name]));
    }
    const free = await freePorts(ports.size);
    [...ports.keys()].forEach((name, i) => ports.set(name, free[i]));
    const http = options.http.replace(/\{\{([\w-]+)(?::([\w-]+))?\}\}/g, (whole, key: string, name?: string) => {
      if (key === 'port' && name) return String(ports.get(name));
      if (key === 'upstream' && name) return upstreams.get(name)!.address;
      if (!name && key in named) return named[key];
      throw new TypeError(`unknown placeholder ${whole} in nginx http config`);
    });

    copyRepoFiles(conf, js, named);
    for (const file of options.files ?? []) {
      const [from, to] = typeof file === 'string' ? [file, join(js, basename(file))] : [file.from, join(prefix, file.to)];
      fs.mkdirSync(dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
    fs.writeFileSync(join(conf, 'nginx.conf'), [
      options.loadJsModule === false ? '' : `load_module ${rt.jsModule};`,
      // www-data exists on the host and in the chroot; non-root nginx would only warn.
      process.getuid?.() === 0 ? 'user www-data;' : '',
      'daemon off;', 'master_process on;', 'worker_processes 1;',
      `error_log ${n(join(logs, 'error.log'))} info;`,
      `pid ${n(join(prefix, 'nginx.pid'))};`,
      options.main ?? '',
      'events {}',
      'http {',
      `    ${rt.httpPrelude}`,
      `    js_path "${n(js)}";`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${n(join(temp, t))};`),
      `    access_log ${n(join(logs, 'access.log'))};`,
      http,
      '}',
      '',
    ].join('\n'));

    const args = ['-p', n(prefix) + '/', '-c', n(join(conf, 'nginx.conf'))];
    const [testCmd, testArgv] = rt.command(['-t', ...args]);
    await new Promise<void>((resolve, reject) =>
      execFile(testCmd, testArgv, (err, stdout, stderr) =>
        err ? reject(new Error(`nginx -t failed (${rt.name}):\n${stdout}${stderr}`)) : resolve()));

    const [cmd, argv] = rt.command(args);
    const proc = (child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
    children.add(proc);
    proc.on('exit', () => children.delete(proc));
    for (const stream of [proc.stdout!, proc.stderr!]) stream.on('data', (d) => (output += d));
    await waitForPorts(proc, [...ports.values()], join(prefix, 'nginx.pid'));
  } catch (err) {
    live.delete(dispose);
    await cleanup();
    const error = withTail(err, tail());
    removePrefix();
    throw error;
  }

  // Stopped (and its error log checked) by stop(), or after the file by afterAll.
  // Not onTestFinished: in describe.concurrent it may belong to another test.

  const port = (name: string): number =>
    ports.get(name) ?? fail(new TypeError(`no {{port:${name}}} in the nginx config; have: ${[...ports.keys()].join(', ')}`));
  return {
    runtime: rt,
    prefix,
    port,
    url: (path, server = 'main') => `http://127.0.0.1:${port(server)}${path.startsWith('/') ? '' : '/'}${path}`,
    upstream: (name) => upstreams.get(name) ?? fail(new TypeError(`no {{upstream:${name}}} in the nginx config`)),
    syslog,
    spanFile: fileCapture(join(logs, 'spans.log')),
    errorLog: () => readLog('error.log'),
    accessLog: () => readLog('access.log'),
    stop,
  };
}

/** Copy nginx-conf/*.conf and njs/*.js (if built yet), pointing the sinks at this test. */
function copyRepoFiles(conf: string, js: string, named: Record<string, string>): void {
  const list = (d: string, ext: string) =>
    fs.existsSync(join(REPO, d)) ? fs.readdirSync(join(REPO, d)).filter((f) => f.endsWith(ext)) : [];
  for (const f of list('nginx-conf', '.conf')) {
    const text = fs.readFileSync(join(REPO, 'nginx-conf', f), 'utf8')
      .replaceAll(DEFAULT_SPAN_FILE, named.spans)
      .replaceAll(DEFAULT_SYSLOG, named.syslog);
    fs.writeFileSync(join(conf, f), text);
  }
  for (const f of list('njs', '.js')) fs.copyFileSync(join(REPO, 'njs', f), join(js, f));
}

function fail(err: Error): never {
  throw err;
}

function withTail(err: unknown, tail: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (!e.message.includes('error.log (tail)')) e.message += tail;
  return e;
}

/** Resolves true once the process has exited, false after timeoutMs. */
function exited(proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!running(proc)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    proc.once('exit', () => (clearTimeout(timer), resolve(true)));
  });
}

/**
 * Ports for nginx to listen on. They are picked here and bound later by nginx,
 * so they come from a range of this test worker's own (VITEST_POOL_ID), below
 * the kernel's ephemeral range: no other worker picks them, and no outgoing
 * connection or port-0 listener is handed them in between. Also for other servers
 * a test starts that must be told their port before they bind it.
 */
let nextPort = 0;
const PORTS_PER_WORKER = 500;
// NJS_TRACING_TEST_PORT_BASE lets two checkouts run their suites at once
// (each run uses 4 × 500 ports from its base; keep bases 2000 apart, below 32768).
const PORT_BASE = Number(process.env.NJS_TRACING_TEST_PORT_BASE || 20_000);
export async function freePorts(count: number): Promise<number[]> {
  const worker = Number(process.env.VITEST_POOL_ID ?? process.pid) % 4;
  const base = PORT_BASE + worker * PORTS_PER_WORKER;
  const ports: number[] = [];
  while (ports.length < count) {
    const port = base + (nextPort++ % PORTS_PER_WORKER);
    if (await bindable(port)) ports.push(port);
  }
  return ports;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Ready when nginx has written its pid file — it does so only after binding
 * every listen socket — and each port accepts. A port that accepts before the
 * pid file exists may belong to another test's nginx (free ports race), while
 * ours is still retrying bind().
 */
async function waitForPorts(proc: ChildProcess, ports: number[], pidFile: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  const ready = async (port: number) => fs.existsSync(pidFile) && (await accepts(port));
  for (const port of ports) {
    while (!(await ready(port))) {
      if (!running(proc)) throw new Error(`nginx exited during start-up (code ${proc.exitCode}, signal ${proc.signalCode})`);
      if (Date.now() > deadline) throw new Error(`nginx not accepting on 127.0.0.1:${port} after ${TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
