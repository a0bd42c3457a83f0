/**
 * Asks the nginx master to reload (SIGHUP, what `nginx -s reload` sends).
 * The master is found through its pid file when one is configured (plain
 * nginx), else by its process title "nginx: master process" in /proc: in a
 * Kubernetes pod with shareProcessNamespace the controller's nginx is visible
 * there, and a sidecar running as the same user (101 in ingress-nginx) may
 * signal it. nginx checks the new configuration itself and keeps the old
 * one, logging why, if it is refused.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface ReloadOptions {
  /** nginx's pid file; null = search procRoot. */
  pidFile: string | null;
  procRoot?: string;
  kill?: (pid: number, signal: NodeJS.Signals) => void;
}

export type ReloadResult = { reloaded: number } | { skipped: string } | { failed: string };

const MASTER_TITLE = /^nginx: master process/;

export class NginxReloader {
  private readonly procRoot: string;
  private readonly kill: (pid: number, signal: NodeJS.Signals) => void;

  constructor(private readonly options: ReloadOptions) {
    this.procRoot = options.procRoot ?? '/proc';
    this.kill = options.kill ?? ((pid, signal) => process.kill(pid, signal));
  }

  async reload(): Promise<ReloadResult> {
    const found = await this.masterPid();
    if (typeof found === 'string') return { skipped: found };
    try {
      this.kill(found, 'SIGHUP');
      return { reloaded: found };
    } catch (error) {
      return { failed: `could not signal nginx master ${found}: ${(error as Error).message}` };
    }
  }

  private async masterPid(): Promise<number | string> {
    const { pidFile } = this.options;
    if (pidFile) {
      const text = await readFile(pidFile, 'utf8').catch(() => null);
      const pid = text === null ? NaN : Number(text.trim());
      return Number.isSafeInteger(pid) && pid > 0 ? pid : `no nginx pid in ${pidFile} (nginx not running yet?)`;
    }
    const entries = await readdir(this.procRoot).catch(() => [] as string[]);
    const masters: number[] = [];
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = await readFile(join(this.procRoot, entry, 'cmdline'), 'utf8').catch(() => '');
      if (MASTER_TITLE.test(cmdline.replaceAll('\0', ' '))) masters.push(Number(entry));
    }
    if (masters.length === 1) return masters[0];
    if (masters.length === 0) return `no "nginx: master process" in ${this.procRoot} (nginx not running yet, or the pod lacks shareProcessNamespace)`;
    return `${masters.length} nginx masters in ${this.procRoot} (${masters.join(', ')}): set NJS_TRACING_POLICY_NGINX_PID_FILE`;
  }
}
