/**
 * Which part of the span file is delivered: every chunk the file source hands
 * on gets a Mark; each export queue takes one share of the mark per span it
 * accepts and settles it when the backend has the span (or refused it for
 * good: a batch answered 400 would be refused again). Marks complete in file
 * order, so the committed position is the end of the longest fully delivered
 * prefix — what the checkpoint stores. Spans dropped at shutdown are never
 * settled: their lines are read again after the restart.
 *
 * The tracker also bounds how far reading runs ahead of the durable
 * position (`held` shares at most `limit`, the queues' capacity; a share is
 * released once the checkpoint covering it is on disk): neither out-of-order
 * answers nor a slow checkpoint write can pile up exported-but-not-durable
 * spans, which is what a SIGKILL would send twice.
 */
import type { FilePosition } from './checkpoint.js';

export class Mark {
  private pending = 0;
  /** Shares taken in all, released from the tracker's `held` when this mark is committed. */
  taken = 0;
  position: FilePosition | null = null;

  constructor(readonly tracker: DeliveryTracker) {}

  /** More spans to deliver before this chunk counts as delivered. */
  take(count: number): void {
    this.pending += count;
    this.taken += count;
    this.tracker.held += count;
  }

  settle(count: number): void {
    this.pending -= count;
    if (this.pending === 0 && this.position) this.tracker.advance();
  }

  /** The chunk is fully handed on; `position` is where reading resumes after it. */
  seal(position: FilePosition): void {
    this.position = position;
    if (this.pending === 0) this.tracker.advance();
  }

  get done(): boolean {
    return this.pending === 0 && this.position !== null;
  }
}

export class DeliveryTracker {
  private readonly marks: Mark[] = [];
  private head = 0;
  committed: FilePosition | null = null;
  /** Span shares taken by marks not yet committed. */
  held = 0;

  /** Committed marks whose position is not on disk yet (only when waiting for durability). */
  private readonly undurable: Mark[] = [];

  /**
   * @param limit shares held at most before the source should wait (Infinity: no limit)
   * @param waitForDurable release shares only when durable() reports their position on disk
   */
  constructor(
    private readonly onCommit: (position: FilePosition) => void,
    readonly limit = Infinity,
    private readonly waitForDurable = false,
  ) {}

  /** The checkpoint of `position` is on disk: everything committed up to it stops counting as held. */
  durable(position: FilePosition): void {
    let through = -1;
    for (let i = 0; i < this.undurable.length; i++) if (samePosition(this.undurable[i].position!, position)) through = i;
    for (const mark of this.undurable.splice(0, through + 1)) this.held -= mark.taken;
  }

  /** Whether `count` more shares may be taken now (one record always may when nothing is held). */
  canHold(count: number): boolean {
    return this.held === 0 || this.held + count <= this.limit;
  }

  open(): Mark {
    const mark = new Mark(this);
    this.marks.push(mark);
    return mark;
  }

  /** Marks not yet committed (sealed or not). */
  get outstanding(): number {
    return this.marks.length - this.head;
  }

  advance(): void {
    let last: FilePosition | null = null;
    while (this.head < this.marks.length && this.marks[this.head].done) {
      const mark = this.marks[this.head++];
      if (this.waitForDurable) this.undurable.push(mark);
      else this.held -= mark.taken;
      last = mark.position;
    }
    if (this.head > 1024 && this.head * 2 > this.marks.length) {
      this.marks.splice(0, this.head);
      this.head = 0;
    }
    if (last && !samePosition(last, this.committed)) {
      this.committed = last;
      this.onCommit(last);
    }
  }
}

function samePosition(a: FilePosition, b: FilePosition | null): boolean {
  return b !== null && a.offset === b.offset && a.ino === b.ino && a.dev === b.dev;
}
