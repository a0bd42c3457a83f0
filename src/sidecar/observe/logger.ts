/**
 * Structured JSON logs (pino) and a rate limiter for log lines that a flood of
 * bad input could otherwise repeat thousands of times a second.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ name: 'njs-tracing-sidecar', level });
}

/**
 * Logs the first occurrence of each key, then at most one line per key per
 * interval, carrying how many occurrences were suppressed in between. Bounded
 * by key count as well as by rate: at most `maxNewKeysPerInterval` keys not
 * seen before get a line of their own per interval, and at most `maxKeys`
 * are remembered; past either, occurrences share one overflow key (one line
 * per interval), so a flood of distinct values cannot flood the log.
 */
export class RateLimitedLog {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();
  private windowStart = -Infinity;
  private newKeysInWindow = 0;

  static readonly OVERFLOW_KEY = '\u0000overflow';

  /**
   * @param intervalMs minimum time between two lines for the same key (default 10 s)
   * @param maxKeys keys remembered at once
   * @param maxNewKeysPerInterval new keys given a line of their own per interval
   */
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    private readonly maxKeys = 1000,
    private readonly now: () => number = Date.now,
    private readonly maxNewKeysPerInterval = 20,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.newKeysInWindow = 0;
    }
    let state = this.lastLogged.get(key);
    if (!state) {
      if (this.newKeysInWindow >= this.maxNewKeysPerInterval || this.lastLogged.size >= this.maxKeys) {
        this.overflow(now, message);
        return;
      }
      this.newKeysInWindow++;
    }
    if (state && now - state.at < this.intervalMs) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    state = { at: now, suppressed: 0 };
    this.lastLogged.set(key, state);
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
    this.forgetStale(now);
  }

  /** Occurrences of keys past the bounds: one line per interval for all of them. */
  private overflow(now: number, message: string): void {
    const key = RateLimitedLog.OVERFLOW_KEY;
    const state = this.lastLogged.get(key);
    if (state && now - state.at < this.intervalMs) {
      state.suppressed++;
      return;
    }
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.logger.warn({ suppressed: state?.suppressed ?? 0, example: message }, 'too many distinct warnings; further ones are only counted here');
  }

  /** Keys quiet for an interval carry nothing worth keeping: forget them so the map holds recent keys only. */
  private forgetStale(now: number): void {
    if (this.lastLogged.size < this.maxKeys / 2) return;
    for (const [key, state] of this.lastLogged) {
      if (now - state.at >= this.intervalMs && state.suppressed === 0) this.lastLogged.delete(key);
    }
  }
}
