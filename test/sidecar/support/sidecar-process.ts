/**
 * Runs the real bin/njs-tracing-sidecar.js as a child process, the way users
 * start it, and reads the ports it bound from its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { buildSidecar } from '../../../scripts/build-sidecar.mjs';

export const BIN = fileURLToPath(new URL('../../../bin/njs-tracing-sidecar.js', import.meta.url));

let built: Promise<string> | null = null;
/** Builds dist/sidecar.js once per test file, so the bin runs the current sources. */
export function ensureBuilt(): Promise<string> {
  built ??= buildSidecar();
  return built;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class SidecarProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  udpPort = 0;
  metricsPort = 0;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) this.keep(line);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exit = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  }

  private keep(line: string): void {
    try {
      const entry = JSON.parse(line) as LogLine;
      this.logs.push(entry);
      const port = typeof entry.address === 'string' ? Number(entry.address.split(':').pop()) : 0;
      if (entry.msg === 'receiving span records over UDP') this.udpPort = port;
      if (entry.msg === 'serving /metrics, /healthz, /readyz') this.metricsPort = port;
    } catch {
      this.stderr += line + '\n';
    }
  }

  /**
   * Starts the bin with only the given environment (plus PATH/HOME) and waits until it logged "sidecar started".
   * `script`/`cwd`: run another build of the sidecar (the chart's single file) instead, from that folder.
   */
  static async start(env: Record<string, string>, timeoutMs = 15_000, script?: { path: string; cwd: string }): Promise<SidecarProcess> {
    if (!script) await ensureBuilt();
    const child = spawn(process.execPath, [script?.path ?? BIN], {
      cwd: script?.cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NJS_TRACING_UDP_ADDRESS: '127.0.0.1:0',
        NJS_TRACING_METRICS_ADDRESS: '127.0.0.1:0',
        NJS_TRACING_FILE: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sidecar = new SidecarProcess(child);
    await sidecar.waitForLog((line) => line.msg === 'sidecar started', timeoutMs);
    return sidecar;
  }

  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exit.then(() => (exited = true));
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (exited || Date.now() > deadline) {
        throw new Error(`sidecar log line not found; stderr: ${this.stderr}\nlogs: ${JSON.stringify(this.logs.slice(-20))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return response.text();
  }

  /** Sum of a metric's samples whose labels contain every given label. */
  async metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
    return metricValue(await this.metrics(), name, labels);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exit;
  }
}

/** Sum of a metric's samples (Prometheus text format) whose labels contain every given label. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) sum += Number(match[3]);
  }
  return sum;
}
