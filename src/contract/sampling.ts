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

/**
 * Ratios people write most: the mode lookup decides them with the default
 * knobs in one exact key, and the knob check states them valid in one.
 */
export const COMMON_RATIOS = ['0.5', '0.25', '0.1', '0.05', '0.01', '0.001'];

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

/** Digits decided by the quick regexes before the general one. */
const QUICK_LEVELS = 3;

/**
 * PCRE sources that decide "<32 hex trace id>:<14 hex threshold>", tried in
 * order; each says whether the id's last 14 digits are below the threshold
 * (not sampled: "0") or not ("1"). Hex digits sort in ASCII order, so string
 * order is numeric order. With p = the first k digits, equal in both (\1):
 *  - below at k: the id's next digit is smaller: "0";
 *  - differs at k: the next digits differ (and the id's is not smaller): "1";
 * for k = 0, 1, 2 (all but 1 in 4096 ids are decided there, in at most six
 * short regexes), then one general regex (a common prefix of any length
 * followed by a smaller digit: "0"); nothing matched: at or above, "1".
 */
export function thresholdRegexes(): Array<[source: string, sampled: '0' | '1']> {
  const branches = (rest: string) => {
    const out: string[] = [];
    for (let i = 0; i < HEX.length - 1; i++) {
      const greater = HEX.slice(i + 1);
      const cls = greater.length === 1 ? greater : `[${rangeClass(greater)}]`;
      out.push(`${HEX[i]}${rest}${cls}`);
    }
    return out.join('|');
  };
  const regexes: Array<[string, '0' | '1']> = [];
  for (let k = 0; k < QUICK_LEVELS; k++) {
    const prefix = k === 0 ? '' : `(\\w{${k}})`;
    const back = k === 0 ? '' : '\\1';
    const next = k === 0 ? '(\\w)' : '(\\w)';
    const nextRef = k === 0 ? '\\1' : '\\2';
    regexes.push([`^\\w{18}${prefix}(?:${branches(`\\w{${13 - k}}:${back}`)})`, '0']);
    regexes.push([`^\\w{18}${prefix}${next}\\w{${13 - k}}:${back}(?!${nextRef})`, '1']);
  }
  regexes.push([`^\\w{18}(\\w*)(?:${branches('\\w*:\\1')})`, '0']);
  return regexes;
}

/** The whole decision as one regex (tests): matches exactly when not sampled. */
export function belowThresholdRegex(): string {
  const all = thresholdRegexes();
  return all[all.length - 1][0];
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
