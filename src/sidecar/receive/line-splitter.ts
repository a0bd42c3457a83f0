/**
 * Splits chunks of the span file into lines and knows the file offset where
 * the line being assembled starts, so the reader can stop after any line
 * (backpressure) and resume, or checkpoint, exactly at a line start.
 *
 * - NUL bytes between lines are skipped: they are holes punched over consumed
 *   data (file-reclaim.ts).
 * - A line longer than maxLineBytes is cut to maxLineBytes + 1 bytes and
 *   handed on anyway, so the parser rejects and counts it; the rest of it is
 *   skipped up to its newline.
 */
const NUL = 0;
const NEWLINE = 10;

/** false: the consumer has no room now; nothing of this line was taken. */
export type LineConsumer = (line: string) => boolean;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  /** File offset of the first byte of the line being assembled (or of the next line). */
  lineStart = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Forgets any partial line; the next line starts at `offset`. `midLine`: skip up to the next newline first. */
  reset(offset: number, midLine = false): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = midLine;
    this.lineStart = offset;
  }

  get hasPartialLine(): boolean {
    return this.pendingBytes > 0 && !this.skipping;
  }

  /**
   * Feeds the chunk read at file offset `chunkOffset`. Returns true when the
   * whole chunk was taken, false when `consume` refused a line: lineStart is
   * then that line's start, where reading must resume.
   */
  feed(chunk: Buffer, chunkOffset: number, consume: LineConsumer): boolean {
    let start = 0;
    while (start < chunk.length) {
      if (this.pendingBytes === 0 && !this.skipping) {
        while (start < chunk.length && chunk[start] === NUL) start++;
        this.lineStart = chunkOffset + start;
        if (start === chunk.length) return true;
      }
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) {
        this.keep(chunk.subarray(start), consume);
        return true;
      }
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pendingBytes === 0 && newline - start <= this.maxLineBytes) {
        // The common case: the whole line is in this chunk, decode it in place.
        if (newline > start && !consume(chunk.toString('utf8', start, newline))) return false;
      } else {
        this.keep(chunk.subarray(start, newline), consume);
        if (!this.skipping && !this.emitPending(consume)) return false;
        this.skipping = false;
      }
      start = newline + 1;
      this.lineStart = chunkOffset + start;
      this.pending = [];
      this.pendingBytes = 0;
    }
    return true;
  }

  /** Hands on a last line that never got its newline (the file was rotated mid-line). */
  flushPartial(consume: LineConsumer): boolean {
    if (!this.hasPartialLine) return true;
    return this.emitPending(consume);
  }

  private keep(part: Buffer, consume: LineConsumer): void {
    if (this.skipping || part.length === 0) return;
    const limit = this.maxLineBytes + 1;
    const taken = Math.min(limit - this.pendingBytes, part.length);
    // Copy: the read buffer is reused by the next read.
    this.pending.push(Buffer.from(part.subarray(0, taken)));
    this.pendingBytes += taken;
    if (this.pendingBytes >= limit) {
      // Refused for size whatever the room: it yields no spans, so it is never held back.
      consume(Buffer.concat(this.pending, this.pendingBytes).toString('utf8'));
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = true;
    }
  }

  private emitPending(consume: LineConsumer): boolean {
    if (this.pendingBytes === 0) return true;
    const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    if (!consume(line)) return false;
    this.pending = [];
    this.pendingBytes = 0;
    return true;
  }
}
