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
 * interval, carrying how many occurrences were suppressed in between.
 */
export class RateLimitedLog {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  /**
   * @param intervalMs minimum time between two lines for the same key (default 10 s)
   * @param maxKeys keys remembered at once; a flood of distinct keys cannot grow memory
   */
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    private readonly maxKeys = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    const state = this.lastLogged.get(key);
    if (state && now - state.at < this.intervalMs) {
      state.suppressed++;
      return;
    }
    if (!state && this.lastLogged.size >= this.maxKeys) this.lastLogged.clear();
    const suppressed = state?.suppressed ?? 0;
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
