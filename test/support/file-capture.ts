/**
 * Reads a record sink file nginx appends to. nginx buffers access logs
 * (`buffer=… flush=1s`), so records show up late: poll with waitFor.
 */
import { readFileSync } from 'node:fs';

export interface FileCapture {
  /** Host path of the file. */
  path: string;
  /** Complete lines written so far (a trailing partial line is left out). */
  lines(): string[];
  /** Resolves with all lines once predicate(lines) holds; rejects after timeoutMs. */
  waitFor(predicate: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
}

const POLL_MS = 100;

export function fileCapture(path: string): FileCapture {
  const lines = (): string[] => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const all = text.split('\n');
    all.pop(); // '' after the last newline, or a line still being written
    return all;
  };

  return {
    path,
    lines,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = lines();
        if (predicate(current)) return current;
        if (Date.now() >= deadline) {
          const got = current.map((l) => `  ${l.slice(0, 300)}`).join('\n');
          throw new Error(`file capture ${path}: condition not met after ${timeoutMs} ms; ` +
            `${current.length} line(s):\n${got}`);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
  };
}
