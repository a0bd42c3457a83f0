/**
 * Bounded label cardinality for Prometheus metrics whose labels come from
 * traffic (Ingress, Service, header names). The first `maxLabelSets` distinct
 * label sets are kept as they are; later ones all share one overflow set whose
 * values are "other", so a cluster with thousands of Ingresses, or hostile
 * input, cannot grow the sidecar's memory or the scrape size without limit.
 */
export const OVERFLOW_VALUE = 'other';

export class BoundedLabels<Labels extends Record<string, string>, Child> {
  private readonly children = new Map<string, Child>();
  /** Children for overflowed sets, keyed by the overflow labels (few: e.g. layer x status class). */
  private readonly overflowChildren = new Map<string, Child>();

  /**
   * @param maxLabelSets distinct label sets kept before overflowing (>= 1)
   * @param makeChild creates the metric child for one label set, e.g. `labels => histogram.labels(labels)`
   * @param overflowLabels maps a label set past the cap to its overflow set; it must keep only
   *   low-cardinality values (e.g. replace names by "other" but keep a layer or status class)
   */
  constructor(
    private readonly maxLabelSets: number,
    private readonly makeChild: (labels: Labels) => Child,
    private readonly overflowLabels: (labels: Labels) => Labels,
  ) {
    if (!Number.isInteger(maxLabelSets) || maxLabelSets < 1) {
      throw new TypeError(`maxLabelSets must be an integer >= 1, got ${maxLabelSets}`);
    }
  }

  get(labels: Labels): Child {
    const key = keyOf(labels);
    const child = this.children.get(key);
    if (child !== undefined) return child;
    if (this.children.size < this.maxLabelSets) {
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

function keyOf(labels: Record<string, string>): string {
  return Object.values(labels).join('\u0000');
}
