/** Interval arithmetic on [start, end) pairs in microseconds. */
export type Interval = [number, number];

/** Length of the union of `intervals` clipped to [from, to]. */
export function coveredUs(from: number, to: number, intervals: Interval[]): number {
  const clipped = intervals
    .map(([s, e]): Interval => [Math.max(s, from), Math.min(e, to)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cursorEnd = -Infinity;
  for (const [s, e] of clipped) {
    if (s >= cursorEnd) {
      total += e - s;
      cursorEnd = e;
    } else if (e > cursorEnd) {
      total += e - cursorEnd;
      cursorEnd = e;
    }
  }
  return total;
}

export function overlapUs(a: Interval, b: Interval): number {
  return Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
}
