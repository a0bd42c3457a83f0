/**
 * Writes one generation of map files into DIR/g-<n>/ and then points the
 * symlink DIR/current at it with a rename, so nginx (at a reload or a start)
 * reads either the old set or the new one, never a mix or a half-written
 * file. The generation also holds policy.json, the policies it was rendered
 * from: a restarted sidecar starts from it, keeping each Ingress's last valid
 * values. The previous generation is kept (a reload may still be reading
 * it); older ones are removed.
 */
import { mkdir, readFile, readdir, rename, rm, symlink, writeFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CURRENT } from './policy-conf.js';
import type { Policy } from './policy-knobs.js';

const STATE_FILE = 'policy.json';
const GENERATION = /^g-(\d+)$/;

export class PolicyFiles {
  private lastWritten: string | null = null;

  constructor(private readonly dir: string) {}

  /** The policies of the current generation ({} when there is none or it cannot be read). */
  async load(): Promise<Record<string, Policy>> {
    try {
      const text = await readFile(join(this.dir, CURRENT, STATE_FILE), 'utf8');
      const parsed = JSON.parse(text) as { policies?: Record<string, Policy> };
      return parsed.policies && typeof parsed.policies === 'object' ? parsed.policies : {};
    } catch {
      return {};
    }
  }

  /**
   * Writes `files` as the new current generation unless they equal the
   * current one; true when nginx has something new to read.
   */
  async write(files: Record<string, string>, policies: Record<string, Policy>): Promise<boolean> {
    const content = JSON.stringify(files);
    if (this.lastWritten === null) this.lastWritten = await this.currentContent(Object.keys(files));
    if (content === this.lastWritten) return false;

    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const generations = await this.generations();
    const next = (generations.at(-1) ?? 0) + 1;
    const target = join(this.dir, `g-${next}`);
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { mode: 0o755 });
    for (const [name, text] of Object.entries(files)) await writeFile(join(target, name), text, { mode: 0o644 });
    await writeFile(join(target, STATE_FILE), JSON.stringify({ policies }, null, 1) + '\n', { mode: 0o644 });

    // Relative target: the directory is mounted at different paths in the two containers (and in a chroot).
    const link = join(this.dir, `${CURRENT}.${next}.tmp`);
    await rm(link, { force: true });
    await symlink(`g-${next}`, link);
    await rename(link, join(this.dir, CURRENT));
    this.lastWritten = content;

    for (const old of generations.slice(0, -1)) await rm(join(this.dir, `g-${old}`), { recursive: true, force: true });
    return true;
  }

  private async generations(): Promise<number[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names
      .map((name) => GENERATION.exec(name))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
  }

  /** The files of the current generation in write()'s form, to skip rewriting what is there. */
  private async currentContent(names: string[]): Promise<string> {
    try {
      await readlink(join(this.dir, CURRENT));
      const files: Record<string, string> = {};
      for (const name of names) files[name] = await readFile(join(this.dir, CURRENT, name), 'utf8');
      return JSON.stringify(files);
    } catch {
      return '';
    }
  }
}
