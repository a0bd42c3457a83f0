/**
 * The spans waiting for export, each with the Mark of the file chunk it came
 * from (null for UDP), in arrival order. Taking a batch and putting a failed
 * one back are O(batch): a head index instead of shifting the array.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Mark } from '../receive/delivery.js';

export interface Batch {
  spans: ReadableSpan[];
  marks: Array<Mark | null>;
}

export class SpanQueue {
  private spans: ReadableSpan[] = [];
  private marks: Array<Mark | null> = [];
  private head = 0;

  get length(): number {
    return this.spans.length - this.head;
  }

  push(span: ReadableSpan, mark: Mark | null): void {
    this.spans.push(span);
    this.marks.push(mark);
  }

  take(count: number): Batch {
    const end = Math.min(this.spans.length, this.head + count);
    const batch = { spans: this.spans.slice(this.head, end), marks: this.marks.slice(this.head, end) };
    this.head = end;
    if (this.head === this.spans.length) this.clear();
    else if (this.head > 4096 && this.head * 2 > this.spans.length) this.compact();
    return batch;
  }

  /** A failed batch goes back to the head: it is retried first. */
  putBack(batch: Batch): void {
    const count = batch.spans.length;
    if (this.head >= count) {
      this.head -= count;
      for (let i = 0; i < count; i++) {
        this.spans[this.head + i] = batch.spans[i];
        this.marks[this.head + i] = batch.marks[i];
      }
      return;
    }
    this.compact();
    this.spans.unshift(...batch.spans);
    this.marks.unshift(...batch.marks);
  }

  /** Empties the queue, returning what was in it. */
  drain(): Batch {
    return this.take(this.length);
  }

  private compact(): void {
    this.spans = this.spans.slice(this.head);
    this.marks = this.marks.slice(this.head);
    this.head = 0;
  }

  private clear(): void {
    this.spans = [];
    this.marks = [];
    this.head = 0;
  }
}

/** Settles each mark once per span of the batch (consecutive spans mostly share a mark). */
export function settleMarks(marks: ReadonlyArray<Mark | null>): void {
  let current: Mark | null = null;
  let count = 0;
  for (const mark of marks) {
    if (mark === current) {
      count++;
      continue;
    }
    current?.settle(count);
    current = mark;
    count = 1;
  }
  current?.settle(count);
}
