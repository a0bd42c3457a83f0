/**
 * Follows the span log NGINX writes with `access_log FILE tracing_span buffer=...`
 * as a durable buffer: nothing on disk is lost or read twice.
 *
 * - Backpressure: a line the export queues have no room for is not dropped;
 *   reading stops at that line and resumes when room frees up.
 * - Checkpoint: every chunk handed on carries a Mark; once its spans are
 *   exported, the position after it (device, inode, offset, fingerprint) is
 *   committed, and a restart resumes there (resumeFrom), also in a rotated
 *   file found again by its inode next to the path.
 * - Rotation: when the path names another file (or none), the old file stays
 *   open and is read until it has not grown for ROTATE_WAIT_MS after a new
 *   file appeared at the path: NGINX keeps writing to the old file until every
 *   worker has reopened its logs, however late `nginx -s reopen` comes.
 * - Truncation (size below our offset) and replacement (fingerprint mismatch
 *   at resume) restart at 0, logged and counted.
 * - Disk budget: when more than maxBacklogBytes are unread, the oldest are
 *   skipped (to the next line start), counted and logged.
 * - Consumed and delivered bytes can be punched out of the file (file-reclaim.ts),
 *   never past the committed position or into the fingerprint window.
 */
import { stat, open, type FileHandle } from 'node:fs/promises';
import { readSync } from 'node:fs';
import type { Logger } from '../observe/logger.js';
import { RateLimitedLog } from '../observe/logger.js';
import { FINGERPRINT_BYTES, fingerprintAt, type FilePosition } from './checkpoint.js';
import { checkResume, findByInode } from './file-identity.js';
import { DeliveryTracker, type Mark } from './delivery.js';
import { punchHole } from './file-reclaim.js';
import { LineSplitter } from './line-splitter.js';

export type FileEvent = 'truncated' | 'replaced' | 'checkpointed_file_gone' | 'rotated';

export interface FileTailOptions {
  path: string;
  /** How often to look for new data, ms. */
  pollMs: number;
  /** For a file that exists at start-up and has no checkpoint: read it from its end (like tail -F) or its beginning. */
  startAt: 'end' | 'beginning';
  /** The committed position of an earlier run (the checkpoint), or null. */
  resumeFrom: FilePosition | null;
  /** Punch a hole over the delivered prefix every this many bytes; 0 = never. */
  reclaimBytes: number;
  /** Unread bytes past which the oldest are skipped; 0 = no limit. */
  maxBacklogBytes: number;
  /** Longest line kept (see LineSplitter). */
  maxLineBytes: number;
  /** Takes one line; false = no room now, the same line comes again after whenRoom(). */
  onLine(line: string, mark: Mark): boolean;
  whenRoom(): Promise<void>;
  /** Each newly delivered position (for the checkpoint). */
  onCommit?(position: FilePosition): void;
  /** Span shares (spans x queues) read but not yet durable, at most; see DeliveryTracker. */
  maxUncommitted?: number;
  /** Shares stay held until durable() reports the checkpoint on disk (else: until committed). */
  waitForDurable?: boolean;
  onSkip?(bytes: number): void;
  onEvent?(event: FileEvent): void;
  logger: Logger;
}

const CHUNK_BYTES = 1024 * 1024;
/** Bytes read per poll at most, so a huge backlog cannot starve the event loop. */
const MAX_BYTES_PER_POLL = 16 * CHUNK_BYTES;
/** How long a rotated file must stay unchanged, once a new file exists, before it is let go. */
export const ROTATE_WAIT_MS = 1000;
const BLOCK = 4096;

interface OpenFile {
  handle: FileHandle;
  dev: number;
  ino: number;
  /** Size at the last look, and when it last changed. */
  size: number;
  grewAt: number;
}

export class FileTail {
  private file: OpenFile | null = null;
  /** Next byte to read. */
  private offset = 0;
  private readonly lines: LineSplitter;
  private readonly tracker: DeliveryTracker;
  private firstLook = true;
  /**
   * Files that replaced the one being read, oldest first, each opened as soon
   * as it was seen at the path: one rotated away too before its turn is
   * still read.
   */
  private successors: Array<{ file: OpenFile; since: number }> = [];
  private reclaimedUpTo = 0;
  private reclaiming = false;
  /** Switched off for good when the filesystem cannot punch holes. */
  private reclaimSupported = true;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> = Promise.resolve();
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private readonly warnings: RateLimitedLog;

  constructor(private readonly options: FileTailOptions) {
    this.lines = new LineSplitter(options.maxLineBytes);
    this.warnings = new RateLimitedLog(options.logger);
    this.tracker = new DeliveryTracker((position) => {
      options.onCommit?.(position);
      this.reclaim(position);
    }, options.maxUncommitted ?? Infinity, options.waitForDurable ?? false);
  }

  /**
   * Opens the file (where the checkpoint or NJS_TRACING_FILE_START says) before
   * resolving, so that "started" means: every record written from now on is read.
   */
  async start(): Promise<void> {
    this.options.logger.info({ path: this.options.path }, 'following span log file');
    try {
      const info = await stat(this.options.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      await this.openFirst(info, true);
      this.firstLook = false; // a file that appears later is new: read from 0
    } catch (error) {
      this.options.logger.error({ err: error, path: this.options.path }, 'opening the span log failed; will retry');
    }
    this.loop = this.run();
  }

  /** The checkpoint of `position` is on disk: reading may run further ahead. */
  durable(position: FilePosition): void {
    this.tracker.durable(position);
    this.wake?.();
  }

  /** Position of everything delivered so far, or null before the first delivery. */
  get committed(): FilePosition | null {
    return this.tracker.committed;
  }

  /** Stops reading (what is unread stays for the next run) and closes the file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.file?.handle.close().catch(() => undefined);
    for (const next of this.successors.splice(0)) await next.file.handle.close().catch(() => undefined);
    this.file = null;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let blocked = false;
      try {
        blocked = await this.poll();
      } catch (error) {
        this.options.logger.error({ err: error, path: this.options.path }, 'reading the span log failed; will retry');
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.pollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
        if (blocked) void this.options.whenRoom().then(done);
      });
      this.wake = null;
    }
  }

  /** One look at the file. Returns true when reading stopped for lack of room. */
  private async poll(): Promise<boolean> {
    const { path } = this.options;
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!this.file) {
      const firstLook = this.firstLook;
      this.firstLook = false;
      await this.openFirst(info, firstLook);
      if (!this.file) return false;
    }
    const file: OpenFile = this.file;
    const rotated = !info || info.ino !== file.ino || info.dev !== file.dev;
    const size = (await file.handle.stat()).size;
    if (size !== file.size) file.grewAt = Date.now();
    file.size = size;
    if (!rotated && size < this.offset) {
      this.options.logger.warn({ path, size, offset: this.offset }, 'span log truncated; reading it from 0 (records cut away unread are lost)');
      this.options.onEvent?.('truncated');
      this.moveTo(0);
      this.reclaimedUpTo = 0;
    }
    if (rotated && info) await this.noteSuccessor(file, info);
    let waiting = 0;
    for (const next of this.successors) waiting += (await next.file.handle.stat()).size;
    this.enforceBudget(size - this.offset + waiting);
    const result = await this.readAvailable();
    if (result !== 'eof' || !rotated) return result === 'blocked';
    // Rotated and read to its end: let it go once a successor exists and the old file has been quiet long enough
    // (moved away but NGINX not reopened yet: it still writes here).
    const next = this.successors[0];
    if (!next || Date.now() - Math.max(next.since, file.grewAt) < ROTATE_WAIT_MS) return false;
    return !(await this.finishRotated());
  }

  /** Reads from the offset until the end, the per-poll limit, or a refused line. */
  private async readAvailable(): Promise<'eof' | 'more' | 'blocked'> {
    const file = this.file!;
    for (let total = 0; total < MAX_BYTES_PER_POLL; ) {
      const { bytesRead } = await file.handle.read(this.buffer, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) return 'eof';
      const mark = this.tracker.open();
      const taken = this.lines.feed(this.buffer.subarray(0, bytesRead), this.offset, (line) => this.options.onLine(line, mark));
      if (!taken) {
        this.moveTo(this.lines.lineStart);
        mark.seal(this.position(this.offset));
        return 'blocked';
      }
      this.offset += bytesRead;
      mark.seal(this.position(this.lines.lineStart));
      total += bytesRead;
      if (this.stopped) return 'more';
    }
    return 'more';
  }

  /** Hands on a last unterminated line, closes the rotated file; false when that line found no room. */
  private async finishRotated(): Promise<boolean> {
    const file = this.file!;
    const mark = this.tracker.open();
    if (!this.lines.flushPartial((line) => this.options.onLine(line, mark))) {
      this.moveTo(this.lines.lineStart);
      mark.seal(this.position(this.offset));
      return false;
    }
    mark.seal(this.position(this.offset));
    this.options.logger.info({ path: this.options.path, ino: file.ino, offset: this.offset }, 'rotated span log read to its end; following the new file');
    this.options.onEvent?.('rotated');
    await file.handle.close();
    this.file = this.successors.shift()!.file;
    this.reclaimedUpTo = 0;
    this.moveTo(0);
    return true;
  }

  /** Opens the file now at the path unless it is known already (being read, or waiting its turn). */
  private async noteSuccessor(current: OpenFile, seen: { ino: number; dev: number }): Promise<void> {
    const known = (ino: number, dev: number) =>
      (ino === current.ino && dev === current.dev) || this.successors.some(({ file }) => file.ino === ino && file.dev === dev);
    if (known(seen.ino, seen.dev)) return;
    const handle = await open(this.options.path, 'r').catch(() => null);
    if (!handle) return;
    const info = await handle.stat();
    if (known(info.ino, info.dev)) {
      await handle.close(); // the path changed again between stat and open
      return;
    }
    this.successors.push({ file: { handle, dev: info.dev, ino: info.ino, size: info.size, grewAt: Date.now() }, since: Date.now() });
  }

  private moveTo(offset: number, midLine = false): void {
    this.offset = offset;
    this.lines.reset(offset, midLine);
  }

  private position(offset: number): FilePosition {
    const file = this.file!;
    return { dev: file.dev, ino: file.ino, offset, fingerprint: fingerprintAt(file.handle.fd, offset) };
  }

  private enforceBudget(unread: number): void {
    const budget = this.options.maxBacklogBytes;
    if (budget <= 0 || unread <= budget) return;
    const file = this.file!;
    const target = Math.min(file.size, this.offset + (unread - budget));
    if (target <= this.offset) return;
    // Land on a line start: unless the byte before the target ends a line, skip to the next newline.
    const before = Buffer.alloc(1);
    readSync(file.handle.fd, before, 0, 1, target - 1);
    const skipped = target - this.offset;
    this.moveTo(target, before[0] !== 10);
    this.options.onSkip?.(skipped);
    this.warnings.warn('backlog_skip', { path: this.options.path, skippedBytes: skipped, unread, maxBacklogBytes: budget },
      'span log backlog over NJS_TRACING_FILE_MAX_BACKLOG_BYTES: skipping the oldest unread records');
  }

  /** The first file: the checkpointed one (at the path or renamed next to it), else the path per startAt. */
  private async openFirst(info: Awaited<ReturnType<typeof stat>> | null, firstLook: boolean): Promise<void> {
    const { path, logger } = this.options;
    const resume = this.options.resumeFrom;
    this.options.resumeFrom = null;
    if (resume) {
      const here = info && Number(info.ino) === resume.ino && Number(info.dev) === resume.dev ? path : await findByInode(path, resume);
      if (here) {
        await this.openFile(here);
        const verdict = checkResume(this.file!.handle.fd, this.file!.size, resume);
        this.moveTo(verdict === 'ok' ? resume.offset : 0);
        logger.info({ path: here, offset: this.offset, checkpoint: verdict }, 'resuming the span log from the checkpoint');
        if (verdict !== 'ok') this.options.onEvent?.(verdict);
        return;
      }
      logger.warn({ path, ino: resume.ino }, 'the checkpointed span log is gone; reading the current file from 0');
      this.options.onEvent?.('checkpointed_file_gone');
      if (info) await this.openFile(path);
      return;
    }
    if (!info) return;
    await this.openFile(path);
    this.moveTo(firstLook && this.options.startAt === 'end' ? this.file!.size : 0);
  }

  private async openFile(path: string): Promise<void> {
    const handle = await open(path, 'r');
    const info = await handle.stat();
    this.file = { handle, dev: info.dev, ino: info.ino, size: info.size, grewAt: Date.now() };
    this.reclaimedUpTo = 0;
    this.moveTo(0);
  }

  /** Punches out the delivered prefix, short of the fingerprint window, block-aligned. */
  private reclaim(committed: FilePosition): void {
    const { reclaimBytes, path, logger } = this.options;
    const file = this.file;
    if (!this.reclaimSupported || reclaimBytes <= 0 || this.reclaiming || !file || committed.ino !== file.ino) return;
    const upTo = Math.floor((committed.offset - FINGERPRINT_BYTES) / BLOCK) * BLOCK;
    if (upTo - this.reclaimedUpTo < reclaimBytes) return;
    this.reclaiming = true;
    void (async () => {
      const info = await stat(path).catch(() => null);
      // Rotated meanwhile: never punch the file now at the path.
      if (info && info.ino === file.ino && info.dev === file.dev) {
        this.reclaimSupported = await punchHole(path, upTo, logger);
        this.reclaimedUpTo = upTo;
      }
    })().finally(() => (this.reclaiming = false));
  }
}
