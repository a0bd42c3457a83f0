import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NginxReloader } from '../../src/k8s/nginx-reload.js';

/** A /proc of our own: pid -> cmdline (NUL-separated, as the kernel writes it). */
function fakeProc(processes: Record<number, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'njs-tracing-proc-'));
  roots.push(root);
  for (const [pid, cmdline] of Object.entries(processes)) {
    mkdirSync(join(root, pid));
    writeFileSync(join(root, pid, 'cmdline'), cmdline.replaceAll(' ', '\0'));
  }
  mkdirSync(join(root, 'self'));
  return root;
}
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('finding the nginx master to reload', () => {
  it('signals the one "nginx: master process" it finds in /proc (a pod with shareProcessNamespace)', async () => {
    const signals: Array<[number, string]> = [];
    const reloader = new NginxReloader({
      pidFile: null,
      procRoot: fakeProc({ 1: '/pause', 7: '/nginx-ingress-controller --configmap=x', 30: 'nginx: master process /usr/bin/nginx -c /etc/nginx/nginx.conf', 31: 'nginx: worker process' }),
      kill: (pid, signal) => signals.push([pid, signal]),
    });
    expect(await reloader.reload()).toEqual({ reloaded: 30 });
    expect(signals).toEqual([[30, 'SIGHUP']]);
  });

  it('skips, saying why, when there is no master (nginx not started yet, or no shared process namespace)', async () => {
    const reloader = new NginxReloader({ pidFile: null, procRoot: fakeProc({ 1: '/pause' }), kill: () => expect.fail('no signal expected') });
    expect(await reloader.reload()).toMatchObject({ skipped: expect.stringContaining('shareProcessNamespace') });
  });

  it('refuses to guess between two masters', async () => {
    const reloader = new NginxReloader({
      pidFile: null,
      procRoot: fakeProc({ 10: 'nginx: master process a', 20: 'nginx: master process b' }),
      kill: () => expect.fail('no signal expected'),
    });
    expect(await reloader.reload()).toMatchObject({ skipped: expect.stringContaining('NJS_TRACING_POLICY_NGINX_PID_FILE') });
  });

  it('reads a pid file when one is configured, and reports a failed signal', async () => {
    const dir = fakeProc({});
    writeFileSync(join(dir, 'nginx.pid'), '4242\n');
    const reloader = new NginxReloader({
      pidFile: join(dir, 'nginx.pid'),
      kill: () => {
        throw new Error('EPERM');
      },
    });
    expect(await reloader.reload()).toEqual({ failed: 'could not signal nginx master 4242: EPERM' });
    expect(await new NginxReloader({ pidFile: join(dir, 'missing.pid') }).reload()).toHaveProperty('skipped');
  });
});
