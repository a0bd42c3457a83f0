/**
 * The native sampling table: ratios nginx decides without njs. Each ratio's
 * threshold comes from the njs sampler's own function (ratioThreshold), so the
 * native decision and the njs one are the same comparison of the trace id's
 * 14 low hex digits with the same 14 hex digits. A ratio outside the table
 * (more digits, other spellings like ".5" or "0.50") is decided by njs.
 */
import { ratioThreshold } from '../njs/sampler.js';

/** Decimal places the table covers: 0.001 .. 0.999 (999 keys; ingress-nginx keeps map_hash_max_size 2048). */
export const RATIO_DECIMALS = 3;

export interface RatioEntry {
  /** The knob value as written: "0.1", "0.25", "0.125" (no trailing zeros). */
  text: string;
  /** 14 lowercase hex digits: sampled when the trace id's last 14 digits are >= this. */
  threshold: string;
}

/** Every ratio k / 10^RATIO_DECIMALS in (0, 1), written the shortest way. */
export function nativeRatios(): RatioEntry[] {
  const scale = Math.pow(10, RATIO_DECIMALS);
  const entries: RatioEntry[] = [];
  for (let k = 1; k < scale; k++) {
    const text = '0.' + String(k).padStart(RATIO_DECIMALS, '0').replace(/0+$/, '');
    const threshold = ratioThreshold(Number(text));
    if (threshold !== null) entries.push({ text, threshold });
  }
  return entries;
}

const HEX = '0123456789abcdef';

/**
 * A PCRE source that matches "<32 hex trace id>:<14 hex threshold>" exactly when
 * the id's last 14 digits are lexicographically below the threshold (not
 * sampled): after a common prefix (\1) the id has a smaller digit than the
 * threshold. Hex digits sort in ASCII order, so this is the numeric order.
 */
export function belowThresholdRegex(): string {
  const branches: string[] = [];
  for (let i = 0; i < HEX.length - 1; i++) {
    const greater = HEX.slice(i + 1);
    const cls = greater.length === 1 ? greater : `[${rangeClass(greater)}]`;
    branches.push(`${HEX[i]}\\w*:\\1${cls}`);
  }
  return `^\\w{18}(\\w*)(?:${branches.join('|')})`;
}

/** "3456789abcdef" -> "3-9a-f": a short character class for a run of hex digits. */
function rangeClass(digits: string): string {
  const parts: string[] = [];
  const numbers = digits.replace(/[a-f]/g, '');
  const letters = digits.replace(/[0-9]/g, '');
  if (numbers.length > 0) parts.push(numbers.length > 1 ? `${numbers[0]}-${numbers[numbers.length - 1]}` : numbers);
  if (letters.length > 0) parts.push(letters.length > 1 ? `${letters[0]}-${letters[letters.length - 1]}` : letters);
  return parts.join('');
}
