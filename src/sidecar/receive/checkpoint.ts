/**
 * The file source's checkpoint: which file (device + inode) and how far into
 * it every span has been exported, plus a fingerprint of the bytes just
 * before that offset, so a restart resumes exactly there and can tell the
 * same file from another one that reused the inode or replaced it.
 *
 * Why the bytes before the offset and not the file's first bytes: consumed
 * bytes are punched out (file-reclaim.ts) and read back as NULs, so a
 * file's head stops identifying it; reclaiming stops short of this window.
 *
 * Written durably and atomically: temp file, fsync, rename over the old one,
 * fsync the directory. A crash leaves the old or the new checkpoint, never a
 * torn one. Writes are coalesced: one in flight, then the latest position.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RateLimitedLog, type Logger } from '../observe/logger.js';

/** Bytes before the offset that identify the file. */
export const FINGERPRINT_BYTES = 64;

export interface FilePosition {
  dev: number;
  ino: number;
  /** Start of the first line not yet exported. */
  offset: number;
  /** sha256 (hex) of the FINGERPRINT_BYTES before offset (fewer near the start); '' at offset 0. */
  fingerprint: string;
}

const VERSION = 1;

/** Fingerprint of the bytes before `offset` in the open file `fd`; '' when offset is 0. */
export function fingerprintAt(fd: number, offset: number): string {
  if (offset <= 0) return '';
  const length = Math.min(FINGERPRINT_BYTES, offset);
  const bytes = Buffer.alloc(length);
  const read = readSync(fd, bytes, 0, length, offset - length);
  return createHash('sha256').update(bytes.subarray(0, read)).digest('hex');
}

function isPosition(value: unknown): value is FilePosition {
  const v = value as Record<string, unknown>;
  return (
    typeof v === 'object' && v !== null &&
    [v.dev, v.ino, v.offset].every((n) => Number.isSafeInteger(n) && (n as number) >= 0) &&
    typeof v.fingerprint === 'string' && /^([0-9a-f]{64})?$/.test(v.fingerprint)
  );
}

export class CheckpointStore {
  private latest: FilePosition | null = null;
  private written: FilePosition | null = null;
  private writing: Promise<void> | null = null;

  /** Called with each position once it is on disk (or its write failed: logged, and not retried). */
  onDurable: ((position: FilePosition) => void) | null = null;

  private readonly errors: RateLimitedLog;

  constructor(private readonly path: string, private readonly logger: Logger) {
    this.errors = new RateLimitedLog(logger);
  }

  /** The saved position, or null when there is none (or it is unreadable, which is logged). */
  load(): FilePosition | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err: error, path: this.path }, 'cannot read the checkpoint; starting without it');
      return null;
    }
    try {
      const parsed = JSON.parse(text) as { version?: number; position?: unknown };
      if (parsed.version === VERSION && isPosition(parsed.position)) return (this.written = parsed.position);
    } catch {
      // fall through
    }
    this.logger.warn({ path: this.path }, 'checkpoint is not valid; starting without it');
    return null;
  }

  /** Records a new position; it reaches the disk soon (coalesced with later ones). */
  save(position: FilePosition): void {
    this.latest = position;
    this.writing ??= this.drain();
  }

  /** Resolves once the latest saved position is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.latest && this.latest !== this.written) {
        const position = this.latest;
        await this.write(position).catch((error: unknown) => {
          this.errors.warn('write_failed', { err: String(error), path: this.path }, 'cannot write the checkpoint; a restart may read records again');
        });
        this.written = position;
        this.onDurable?.(position);
      }
    } finally {
      this.writing = null;
    }
  }

  private async write(position: FilePosition): Promise<void> {
    const temporary = `${this.path}.tmp`;
    const file = await open(temporary, 'w', 0o644);
    try {
      await file.writeFile(JSON.stringify({ version: VERSION, position }) + '\n');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    const directory = await open(dirname(this.path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
