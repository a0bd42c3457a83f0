/**
 * When the next export may be tried after failures: exponential backoff from
 * FIRST_BACKOFF_MS up to maxBackoffMs, jittered so several sidecars do not
 * hit a recovering backend in lockstep, or exactly what the backend asked for
 * with Retry-After.
 */
export const FIRST_BACKOFF_MS = 100;

export class RetrySchedule {
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly maxBackoffMs: number,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** ms until an export may be tried again; 0 = now. */
  get waitMs(): number {
    return Math.max(0, this.retryAt - this.now());
  }

  /** Records a failure; returns the wait before the next try. */
  failed(retryAfterMs?: number): number {
    this.failures++;
    const backoff = Math.min(this.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** Math.min(this.failures - 1, 20));
    const wait = retryAfterMs ?? backoff * (0.5 + this.random() / 2);
    this.retryAt = this.now() + wait;
    return wait;
  }

  /** Records an answer; returns true when it ends a run of failures. */
  succeeded(): boolean {
    const recovered = this.failures > 0;
    this.failures = 0;
    this.retryAt = 0;
    return recovered;
  }
}
