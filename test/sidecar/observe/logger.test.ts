import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { RateLimitedLog } from '../../../src/sidecar/observe/logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (text: string) => void lines.push(JSON.parse(text)) });
  return { lines, logger };
}

describe('rate-limited log', () => {
  it('logs a key once per interval with the count suppressed in between', () => {
    const { lines, logger } = capture();
    let now = 0;
    const log = new RateLimitedLog(logger, 10_000, 1000, () => now);
    for (let i = 0; i < 5; i++) log.warn('k', { i }, 'bad record');
    now = 10_000;
    log.warn('k', { i: 5 }, 'bad record');
    expect(lines.map((line) => [line.i, line.suppressed])).toEqual([[0, undefined], [5, 4]]);
  });

  it('stays bounded when every occurrence has a key of its own (5,000 distinct values)', () => {
    const { lines, logger } = capture();
    let now = 0;
    const log = new RateLimitedLog(logger, 10_000, 1000, () => now);
    for (let i = 0; i < 5000; i++) log.warn(`njs_error:${i}`, { i }, 'njs failed');
    expect(lines).toHaveLength(21); // 20 keys of their own, then one overflow line
    expect(lines[20]).toMatchObject({ msg: 'too many distinct warnings; further ones are only counted here' });
    now = 10_000;
    for (let i = 5000; i < 10_000; i++) log.warn(`njs_error:${i}`, { i }, 'njs failed');
    expect(lines).toHaveLength(42);
    expect(lines[41]).toMatchObject({ suppressed: 4979 });
  });
});
