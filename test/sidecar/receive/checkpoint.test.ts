import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type FilePosition } from '../../../src/sidecar/receive/checkpoint.js';
import { DeliveryTracker } from '../../../src/sidecar/receive/delivery.js';

const logger = pino({ level: 'silent' });
const at = (offset: number): FilePosition => ({ dev: 1, ino: 2, offset, fingerprint: 'a'.repeat(64) });

describe('checkpoint store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'njs-tracing-checkpoint-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the latest position through a temp file and reads it back', async () => {
    const path = join(dir, 'spans.log.checkpoint');
    const store = new CheckpointStore(path, logger);
    expect(store.load()).toBeNull();
    for (let offset = 1; offset <= 50; offset++) store.save(at(offset)); // coalesced: not 50 writes
    await store.flush();
    expect(await readdir(dir)).toEqual(['spans.log.checkpoint']); // no temp file left behind
    expect(new CheckpointStore(path, logger).load()).toEqual(at(50));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, position: at(50) });
  });

  it('starts without a checkpoint that is torn or not ours', async () => {
    const path = join(dir, 'checkpoint');
    for (const text of ['{"version":1,"position":{"dev":1', '{"version":2,"position":{}}', '{"version":1,"position":{"dev":-1,"ino":2,"offset":3,"fingerprint":""}}']) {
      await writeFile(path, text);
      expect(new CheckpointStore(path, logger).load()).toBeNull();
    }
  });
});

describe('delivery tracker', () => {
  it('commits marks in file order, each once everything it holds is settled', () => {
    const commits: number[] = [];
    const tracker = new DeliveryTracker((position) => commits.push(position.offset));
    const [a, b, c] = [tracker.open(), tracker.open(), tracker.open()];
    a.take(2);
    b.take(1);
    a.seal(at(10));
    b.seal(at(20));
    c.seal(at(30)); // nothing to deliver, but behind a and b
    b.settle(1);
    expect(commits).toEqual([]);
    a.settle(1);
    expect(commits).toEqual([]);
    a.settle(1);
    expect(commits).toEqual([30]);
  });

  it('holds shares until the checkpoint covering them is on disk, when asked to', () => {
    const tracker = new DeliveryTracker(() => undefined, 4, true);
    const a = tracker.open();
    a.take(3);
    a.seal(at(10));
    expect(tracker.canHold(2)).toBe(false);
    a.settle(3); // exported and committed, but the checkpoint write is still running
    expect(tracker.held).toBe(3);
    expect(tracker.canHold(2)).toBe(false);
    tracker.durable(at(10));
    expect(tracker.held).toBe(0);
    expect(tracker.canHold(4)).toBe(true);
  });
});
