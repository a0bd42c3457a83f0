/**
 * Follows the span log NGINX writes with `access_log FILE tracing_span buffer=...`
 * like `tail -F`: polls from the last offset, keeps a partial last line until
 * its newline arrives, reopens from 0 when the file is rotated (inode changes)
 * or truncated (size shrinks), and waits while the file does not exist.
 *
 * To keep the file bounded without coordinating with NGINX, consumed bytes can
 * be handed back to the filesystem by punching a hole over them (see
 * file-reclaim.ts). NGINX appends with O_APPEND, so offsets stay valid; the
 * holes read back as NUL bytes, which are skipped.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../observe/logger.js';
import { punchHole } from './file-reclaim.js';

export interface FileTailOptions {
  path: string;
  /** How often to look for new data, ms (default 200). */
  pollMs: number;
  /** For a file that exists at start-up: read it from its end (like tail -F) or its beginning. */
  startAt: 'end' | 'beginning';
  /** Punch a hole over the consumed prefix every this many consumed bytes; 0 = never. */
  reclaimBytes: number;
  /**
   * Longest line kept; a longer one is cut to maxLineBytes + 1 bytes and passed
   * on, so the parser rejects and counts it, and the rest of it is skipped.
   */
  maxLineBytes: number;
  onLine: (line: string) => void;
  logger: Logger;
}

const CHUNK_BYTES = 1024 * 1024;
/** Bytes read per poll at most, so a huge backlog cannot starve the event loop. */
const MAX_BYTES_PER_POLL = 64 * CHUNK_BYTES;
const NUL = 0;
const NEWLINE = 10;

export class FileTail {
  private handle: FileHandle | null = null;
  private inode = -1;
  private offset = 0;
  private reclaimedUpTo = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skippingLongLine = false;
  /** True until the first poll: only a file present at start-up may be read from its end. */
  private firstOpen = true;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Switched off for good when the filesystem cannot punch holes. */
  private reclaimSupported = true;

  constructor(private readonly options: FileTailOptions) {}

  start(): void {
    this.options.logger.info({ path: this.options.path }, 'following span log file');
    this.tick();
  }

  private tick(): void {
    this.polling = this.poll().catch((error) => {
      this.options.logger.error({ err: error, path: this.options.path }, 'reading the span log failed; will retry');
    });
    void this.polling.then(() => {
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.options.pollMs);
    });
  }

  /** Reads what is left, stops polling and closes the file. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await this.poll().catch(() => undefined);
    await this.close();
  }

  private async poll(): Promise<void> {
    let info;
    try {
      info = await stat(this.options.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.firstOpen = false; // a file that appears later is new: read it from 0
      // Gone (rotated away, not yet recreated): finish the old file, then wait.
      if (this.handle) await this.readToEnd();
      await this.close();
      return;
    }
    if (this.handle && info.ino !== this.inode) {
      await this.readToEnd();
      await this.close();
    }
    if (!this.handle) {
      this.handle = await open(this.options.path, 'r');
      this.inode = info.ino;
      this.offset = this.firstOpen && this.options.startAt === 'end' ? info.size : 0;
      this.reclaimedUpTo = 0;
      this.firstOpen = false;
    } else if (info.size < this.offset) {
      this.options.logger.info({ path: this.options.path, size: info.size, offset: this.offset }, 'span log truncated, reading from 0');
      this.offset = 0;
      this.reclaimedUpTo = 0;
      this.dropPending();
    }
    await this.readToEnd();
    await this.reclaim();
  }

  private async readToEnd(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    for (let total = 0; total < MAX_BYTES_PER_POLL; ) {
      const { bytesRead } = await handle.read(this.buffer, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      total += bytesRead;
      this.feed(this.buffer.subarray(0, bytesRead));
    }
  }

  /** Splits a chunk into lines; a trailing partial line waits in `pending`. */
  private feed(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      if (this.pendingBytes === 0 && !this.skippingLongLine) {
        while (start < chunk.length && chunk[start] === NUL) start++; // holes we punched
        if (start === chunk.length) return;
      }
      const newline = chunk.indexOf(NEWLINE, start);
      this.keep(chunk.subarray(start, newline < 0 ? chunk.length : newline));
      if (newline < 0) return;
      if (this.skippingLongLine) this.skippingLongLine = false; // the over-long line ends here
      else this.emitPending();
      start = newline + 1;
    }
  }

  private keep(part: Buffer): void {
    if (this.skippingLongLine || part.length === 0) return;
    const limit = this.options.maxLineBytes + 1;
    const taken = Math.min(limit - this.pendingBytes, part.length);
    // Copy: the read buffer is reused by the next read.
    this.pending.push(Buffer.from(part.subarray(0, taken)));
    this.pendingBytes += taken;
    if (this.pendingBytes >= limit) {
      this.emitPending();
      this.skippingLongLine = true;
    }
  }

  private emitPending(): void {
    if (this.pendingBytes === 0) return;
    const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.dropPending();
    this.options.onLine(line);
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private async reclaim(): Promise<void> {
    const { reclaimBytes, path, logger } = this.options;
    if (!this.reclaimSupported || reclaimBytes <= 0 || this.offset - this.reclaimedUpTo < reclaimBytes) return;
    const info = await stat(path).catch(() => null);
    if (!info || info.ino !== this.inode) return; // rotated meanwhile: never punch the new file
    this.reclaimSupported = await punchHole(path, this.offset, logger);
    this.reclaimedUpTo = this.offset;
  }

  private async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    // A last line without its newline (rotated mid-write) is still passed on: it parses or is counted.
    if (!this.skippingLongLine) this.emitPending();
    this.dropPending();
    this.skippingLongLine = false;
    await handle?.close();
  }
}
