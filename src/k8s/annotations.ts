/**
 * An Ingress's annotations in our prefix -> the knobs it sets, and what was
 * refused. A refused value never replaces a knob: the caller keeps the
 * Ingress's last valid value for it (policy-state.ts).
 */
import { ANNOTATION_PREFIX, MAX_VALUE_LENGTH, POLICY_KNOBS, type KnobContext, type Policy, type PolicyKnobId } from './policy-knobs.js';

export interface AnnotationError {
  /** Full annotation name. */
  annotation: string;
  /** The value, cut to 64 characters for logs and Events. */
  value: string;
  reason: string;
  /** The knob that keeps its last valid value; null for an unknown annotation. */
  knob: PolicyKnobId | null;
}

export interface ParsedAnnotations {
  /** Knobs with a valid annotation. */
  valid: Policy;
  /** Knobs whose annotation is present but refused. */
  refused: Set<PolicyKnobId>;
  errors: AnnotationError[];
}

const shown = (value: string) => (value.length > 64 ? `${value.slice(0, 64)}…` : value);

export function parseAnnotations(annotations: Record<string, string> | undefined, context: KnobContext): ParsedAnnotations {
  const result: ParsedAnnotations = { valid: {}, refused: new Set(), errors: [] };
  for (const [name, raw] of Object.entries(annotations ?? {})) {
    if (!name.startsWith(ANNOTATION_PREFIX)) continue;
    const value = String(raw);
    const knob = POLICY_KNOBS.find((k) => ANNOTATION_PREFIX + k.annotation === name);
    if (!knob) {
      const known = POLICY_KNOBS.map((k) => k.annotation).join(', ');
      result.errors.push({ annotation: name, value: shown(value), reason: `unknown annotation; known: ${known}`, knob: null });
      continue;
    }
    const parsed =
      value.length > MAX_VALUE_LENGTH ? { error: `longer than ${MAX_VALUE_LENGTH} characters` } : knob.parse(value, context);
    if ('value' in parsed) {
      result.valid[knob.id] = parsed.value;
    } else {
      result.refused.add(knob.id);
      result.errors.push({ annotation: name, value: shown(value), reason: parsed.error, knob: knob.id });
    }
  }
  return result;
}
