/**
 * Waiting on a child process the tests start (the single-file sidecar, the bundled
 * watcher): its output kept for the failure message, and a poll that gives up when
 * the deadline passes or the child exits, whichever comes first.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface WatchedChild {
  child: ChildProcess;
  output(): string;
}

export function spawnWatched(command: string, args: string[], options: SpawnOptions): WatchedChild {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

/** Polls `probe` every 50 ms until it returns something truthy, which it returns. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false,
  { timeoutMs = 15_000, child }: { timeoutMs?: number; child?: WatchedChild } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    const exited = child !== undefined && child.child.exitCode !== null;
    if (Date.now() > deadline || exited) {
      throw new Error(`${exited ? 'child exited' : 'timed out'} waiting for ${what}${child ? `:\n${child.output()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
