/**
 * The policy in force for every Ingress: what its annotations set, where a
 * refused value keeps the last valid one. Removing an annotation reverts that
 * knob to the controller-wide default; deleting the Ingress drops it.
 */
import type { Policy, PolicyKnobId } from './policy-knobs.js';
import type { ParsedAnnotations } from './annotations.js';

export class PolicyState {
  private readonly policies = new Map<string, Policy>();

  constructor(initial: Record<string, Policy> = {}) {
    for (const [key, policy] of Object.entries(initial)) if (Object.keys(policy).length) this.policies.set(key, { ...policy });
  }

  /** Applies an Ingress's parsed annotations; true when its policy changed. */
  apply(key: string, parsed: ParsedAnnotations): boolean {
    const previous = this.policies.get(key) ?? {};
    const next: Policy = { ...parsed.valid };
    for (const knob of parsed.refused) {
      if (previous[knob] !== undefined) next[knob] = previous[knob];
    }
    return this.set(key, next);
  }

  delete(key: string): boolean {
    return this.policies.delete(key);
  }

  /** Drops every Ingress not in `keys` (after a full list); true when one was dropped. */
  retainOnly(keys: Set<string>): boolean {
    let changed = false;
    for (const key of [...this.policies.keys()]) if (!keys.has(key)) changed = this.policies.delete(key) || changed;
    return changed;
  }

  get(key: string): Policy | undefined {
    return this.policies.get(key);
  }

  /** Every non-empty policy, sorted by key. */
  snapshot(): Record<string, Policy> {
    return Object.fromEntries([...this.policies.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  get size(): number {
    return this.policies.size;
  }

  private set(key: string, next: Policy): boolean {
    const previous = this.policies.get(key);
    const knobs = Object.keys(next) as PolicyKnobId[];
    if (knobs.length === 0) return previous !== undefined && this.policies.delete(key);
    if (previous && knobs.length === Object.keys(previous).length && knobs.every((k) => previous[k] === next[k])) return false;
    this.policies.set(key, next);
    return true;
  }
}
