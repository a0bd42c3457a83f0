/**
 * Which part of the span file is delivered: every chunk the file source hands
 * on gets a Mark; each export queue takes one share of the mark per span it
 * accepts and settles it when the backend has the span (or refused it for
 * good: a batch answered 400 would be refused again). Marks complete in file
 * order, so the committed position is the end of the longest fully delivered
 * prefix — what the checkpoint stores. Spans dropped at shutdown are never
 * settled: their lines are read again after the restart.
 */
import type { FilePosition } from './checkpoint.js';

export class Mark {
  private pending = 0;
  position: FilePosition | null = null;

  constructor(private readonly tracker: DeliveryTracker) {}

  /** One more span to deliver before this chunk counts as delivered. */
  take(count: number): void {
    this.pending += count;
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

  constructor(private readonly onCommit: (position: FilePosition) => void) {}

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
    while (this.head < this.marks.length && this.marks[this.head].done) last = this.marks[this.head++].position;
    if (this.head > 1024 && this.head * 2 > this.marks.length) {
      this.marks.splice(0, this.head);
      this.head = 0;
    }
    if (last) {
      this.committed = last;
      this.onCommit(last);
    }
  }
}
