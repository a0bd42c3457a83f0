/**
 * Bounded label cardinality for Prometheus metrics whose labels come from
 * traffic (Ingress, Service, header names). The cap counts distinct values of
 * the traffic-derived part only (`capKey`, e.g. the namespace/ingress/service
 * tuple), not whole label sets: fixed low-cardinality labels such as layer
 * and status class multiply every tuple by a known factor, and counting them
 * would make the cap mean "a fifth of a service". The first `maxKeys` keys
 * keep their labels; later ones share overflow label sets whose traffic
 * values are "other", so thousands of Ingresses, or hostile input, cannot
 * grow memory or the scrape size without limit.
 */
export const OVERFLOW_VALUE = 'other';

export class BoundedLabels<Labels extends Record<string, string>, Child> {
  private readonly children = new Map<string, Child>();
  /** Traffic-derived keys admitted so far (at most maxKeys). */
  private readonly admitted = new Set<string>();
  /** Children for overflowed sets, keyed by the overflow labels (few: e.g. layer x status class). */
  private readonly overflowChildren = new Map<string, Child>();

  /**
   * @param maxKeys distinct capKey values kept before overflowing (>= 1)
   * @param makeChild creates the metric child for one label set, e.g. `labels => histogram.labels(labels)`
   * @param overflowLabels maps a label set past the cap to its overflow set; it must keep only
   *   low-cardinality values (e.g. replace names by "other" but keep a layer or status class)
   * @param capKey the part of a label set the cap counts; by default all of it
   */
  constructor(
    private readonly maxKeys: number,
    private readonly makeChild: (labels: Labels) => Child,
    private readonly overflowLabels: (labels: Labels) => Labels,
    private readonly capKey: (labels: Labels) => string = keyOf,
  ) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new TypeError(`maxKeys must be an integer >= 1, got ${maxKeys}`);
    }
  }

  get(labels: Labels): Child {
    const key = keyOf(labels);
    const child = this.children.get(key);
    if (child !== undefined) return child;
    const capped = this.capKey(labels);
    if (this.admitted.has(capped) || this.admitted.size < this.maxKeys) {
      this.admitted.add(capped);
      const created = this.makeChild(labels);
      this.children.set(key, created);
      return created;
    }
    const overflow = this.overflowLabels(labels);
    const overflowKey = keyOf(overflow);
    let overflowChild = this.overflowChildren.get(overflowKey);
    if (overflowChild === undefined) {
      overflowChild = this.makeChild(overflow);
      this.overflowChildren.set(overflowKey, overflowChild);
    }
    return overflowChild;
  }
}

/** Values joined by NUL, which no label value from a record can contain unescaped. */
export function keyOf(labels: Record<string, string>): string {
  return Object.values(labels).join('\u0000');
}
