import { createSocket } from 'node:dgram';
import { appendFile, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import type { FilePosition } from '../../../src/sidecar/receive/checkpoint.js';
import type { Mark } from '../../../src/sidecar/receive/delivery.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTail, ROTATE_WAIT_MS, type FileTailOptions } from '../../../src/sidecar/receive/file-tail.js';
import { UdpReceiver } from '../../../src/sidecar/receive/udp-receiver.js';

const logger = pino({ level: 'silent' });

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('UDP receiver', () => {
  it('hands every datagram on a real socket to the handler as one line', async () => {
    const lines: string[] = [];
    const receiver = new UdpReceiver({
      address: { host: '127.0.0.1', port: 0 },
      receiveBufferBytes: 8 * 1024 * 1024,
      onLine: (line) => lines.push(line),
      logger,
    });
    const port = await receiver.start();
    const client = createSocket('udp4');
    for (const text of ['<190>Nov 24 23:59:59 njs_tracing: {"v":1}', 'second', 'ünïcode']) {
      await new Promise<void>((resolve) => client.send(text, port, '127.0.0.1', () => resolve()));
    }
    await until(() => lines.length === 3);
    expect(lines).toEqual(['<190>Nov 24 23:59:59 njs_tracing: {"v":1}', 'second', 'ünïcode']);
    client.close();
    await receiver.stop();
  });

  it('fails to start with the bind error when the port is taken', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
    const receiver = new UdpReceiver({
      address: { host: '127.0.0.1', port: taken.address().port },
      receiveBufferBytes: 0,
      onLine: () => undefined,
      logger,
    });
    await expect(receiver.start()).rejects.toThrow(/EADDRINUSE/);
    taken.close();
  });
});

describe('file tail', () => {
  let dir: string;
  let path: string;
  let lines: string[];
  let tail: FileTail | null;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'njs-tracing-tail-'));
    path = join(dir, 'spans.log');
    lines = [];
    tail = null;
  });
  afterEach(async () => {
    await tail?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function follow(options: Partial<FileTailOptions> = {}) {
    tail = new FileTail({
      path,
      pollMs: 20,
      startAt: 'end',
      resumeFrom: null,
      reclaimBytes: 0,
      maxBacklogBytes: 0,
      maxLineBytes: 8192,
      // Every line is delivered at once.
      onLine: (line) => (lines.push(line), true),
      whenRoom: () => new Promise(() => undefined),
      logger,
      ...options,
    });
    tail.start();
    return tail;
  }

  it('waits for a file that does not exist yet and reads it from its first byte', async () => {
    follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await writeFile(path, 'one\ntwo\n');
    await until(() => lines.length === 2);
    expect(lines).toEqual(['one', 'two']);
  });

  it('starts at the end of a file that already exists, or at its beginning when asked', async () => {
    await writeFile(path, 'old\n');
    follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await appendFile(path, 'new\n');
    await until(() => lines.length === 1);
    expect(lines).toEqual(['new']);
    await tail!.stop();
    lines = [];
    follow({ startAt: 'beginning' });
    await until(() => lines.length === 2);
    expect(lines).toEqual(['old', 'new']);
  });

  it('keeps a partial last line until its newline arrives', async () => {
    await writeFile(path, '');
    follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await appendFile(path, 'complete\n{"half":');
    await until(() => lines.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(lines).toEqual(['complete']);
    await appendFile(path, '"done"}\n');
    await until(() => lines.length === 2);
    expect(lines[1]).toBe('{"half":"done"}');
  });

  it('reads the rest of a rotated file, then the new file from 0', async () => {
    await writeFile(path, '');
    follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await appendFile(path, 'before\n');
    await until(() => lines.length === 1);
    await rename(path, `${path}.1`);
    await appendFile(`${path}.1`, 'late write to the old file\n');
    await writeFile(path, 'after\n');
    await until(() => lines.length === 3, 5000);
    expect(lines).toEqual(['before', 'late write to the old file', 'after']);
  });

  it('keeps the rotated file open while NGINX has not reopened, and until it has been quiet after the new file appeared', async () => {
    await writeFile(path, '');
    follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await rename(path, `${path}.1`);
    // The path is gone for a while; NGINX still appends to the old file.
    for (let i = 0; i < 3; i++) {
      await appendFile(`${path}.1`, `old ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await writeFile(path, 'new 0\n');
    // A worker that reopens late still writes to the old file after the new one exists.
    await new Promise((resolve) => setTimeout(resolve, ROTATE_WAIT_MS / 2));
    await appendFile(`${path}.1`, 'old late\n');
    await until(() => lines.includes('new 0'), 5000);
    expect(lines).toEqual(['old 0', 'old 1', 'old 2', 'old late', 'new 0']);
  });

  it('reads from 0 again when the file is truncated', async () => {
    await writeFile(path, '');
    follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await appendFile(path, 'a fairly long first line\n');
    await until(() => lines.length === 1);
    await truncate(path, 0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await appendFile(path, 'short\n');
    await until(() => lines.length === 2);
    expect(lines).toEqual(['a fairly long first line', 'short']);
  });

  it('cuts an over-long line so the parser can reject it, and skips the rest of it', async () => {
    await writeFile(path, '');
    follow({ maxLineBytes: 10 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await appendFile(path, `${'x'.repeat(5000)}\nok\n`);
    await until(() => lines.length === 2);
    expect(lines).toEqual(['x'.repeat(11), 'ok']);
  });

  it('punches a hole over consumed bytes and keeps reading at the same offsets', async () => {
    await writeFile(path, '');
    follow({ reclaimBytes: 4096 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const line = 'y'.repeat(1023);
    for (let i = 0; i < 16; i++) await appendFile(path, `${line}\n`);
    await until(() => lines.length === 16);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await appendFile(path, 'after the hole\n');
    await until(() => lines.length === 17);
    expect(lines[16]).toBe('after the hole');
    // A fresh reader from the beginning skips the NUL bytes the hole reads back as.
    await tail!.stop();
    lines = [];
    follow({ startAt: 'beginning' });
    await until(() => lines.includes('after the hole'));
    expect(lines.every((text) => !text.includes('\u0000'))).toBe(true);
  });
});

describe('file tail: delivery, checkpoints and budget', () => {
  let dir: string;
  let path: string;
  let tail: FileTail | null;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'njs-tracing-tail-'));
    path = join(dir, 'spans.log');
    tail = null;
  });
  afterEach(async () => {
    await tail?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A consumer with room for `room` lines until release(); committed positions are collected. */
  function consumer(room = Infinity) {
    const state = {
      lines: [] as string[],
      held: [] as Mark[],
      commits: [] as FilePosition[],
      room,
      wake: () => undefined as void,
      release() {
        for (const mark of state.held.splice(0)) mark.settle(1);
        state.room = Infinity;
        state.wake();
      },
    };
    const options: Partial<FileTailOptions> = {
      onLine: (line, mark) => {
        if (state.room <= 0) return false;
        state.room--;
        state.lines.push(line);
        mark.take(1);
        state.held.push(mark);
        return true;
      },
      whenRoom: () => new Promise<void>((resolve) => (state.wake = resolve)),
      onCommit: (position) => state.commits.push(position),
    };
    return { state, options };
  }

  function follow(options: Partial<FileTailOptions>) {
    tail = new FileTail({
      path,
      pollMs: 20,
      startAt: 'beginning',
      resumeFrom: null,
      reclaimBytes: 0,
      maxBacklogBytes: 0,
      maxLineBytes: 8192,
      onLine: () => true,
      whenRoom: () => new Promise(() => undefined),
      logger,
      ...options,
    });
    tail.start();
    return tail;
  }

  const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);

  /** A sidecar run that reads `count` lines, commits them and stops: returns its last checkpoint. */
  async function readAndStop(count: number): Promise<FilePosition> {
    const run = consumer();
    follow(run.options);
    await until(() => run.state.lines.length === count);
    run.state.release();
    await until(() => run.state.commits.length > 0);
    await tail!.stop();
    return run.state.commits.at(-1)!;
  }

  it('waits instead of dropping when the consumer is full, then goes on from the refused line', async () => {
    await writeFile(path, numbered(0, 10).join('\n') + '\n');
    const { state, options } = consumer(4);
    follow(options);
    await until(() => state.lines.length === 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(state.lines).toEqual(numbered(0, 4));
    state.release();
    await until(() => state.lines.length === 10);
    expect(state.lines).toEqual(numbered(0, 10));
  });

  it('commits a position only once the lines before it are delivered, and resumes exactly there', async () => {
    const text = numbered(0, 6).join('\n') + '\n';
    await writeFile(path, text);
    const { state, options } = consumer();
    follow(options);
    await until(() => state.lines.length === 6);
    expect(state.commits).toEqual([]);
    state.release();
    await until(() => state.commits.length > 0);
    const committed = state.commits.at(-1)!;
    expect(committed.offset).toBe(Buffer.byteLength(text));
    await tail!.stop();

    await appendFile(path, numbered(6, 9).join('\n') + '\n');
    const next = consumer();
    follow({ ...next.options, resumeFrom: committed, startAt: 'end' });
    await until(() => next.state.lines.length === 3);
    expect(next.state.lines).toEqual(numbered(6, 9));
  });

  it('resumes in the rotated file found by its inode, then reads the new file from 0', async () => {
    await writeFile(path, numbered(0, 4).join('\n') + '\n');
    const checkpoint = await readAndStop(4);
    // While the sidecar is down: more records, a rotation, records in the new file.
    await appendFile(path, numbered(4, 6).join('\n') + '\n');
    await rename(path, `${path}.1`);
    await writeFile(path, numbered(6, 8).join('\n') + '\n');
    const second = consumer();
    follow({ ...second.options, resumeFrom: checkpoint });
    await until(() => second.state.lines.length === 4, 5000);
    expect(second.state.lines).toEqual(numbered(4, 8));
  });

  it('reads from 0 when the checkpointed file was replaced by another with the same inode', async () => {
    await writeFile(path, numbered(0, 4).join('\n') + '\n');
    const checkpoint = await readAndStop(4);
    // Same inode, other content of at least the same length.
    await writeFile(path, ['other 0', 'other 1', 'other 2', 'other 3', 'other 4'].join('\n') + '\n');
    const events: string[] = [];
    const second = consumer();
    follow({ ...second.options, resumeFrom: checkpoint, onEvent: (event) => events.push(event) });
    await until(() => second.state.lines.length === 5);
    expect(second.state.lines[0]).toBe('other 0');
    expect(events).toEqual(['replaced']);
  });

  it('skips and counts the oldest unread bytes past the backlog budget, landing on a line start', async () => {
    const lines = numbered(0, 100).map((line) => line.padEnd(99, '.'));
    await writeFile(path, lines.join('\n') + '\n'); // 100 lines of 100 bytes
    let skipped = 0;
    const { state, options } = consumer();
    follow({ ...options, maxBacklogBytes: 2500, onSkip: (bytes) => (skipped += bytes) });
    await until(() => state.lines.length >= 25);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(skipped).toBe(7500);
    expect(state.lines).toEqual(lines.slice(75));
  });

  it('punches out only what was delivered, keeping the bytes the fingerprint needs', async () => {
    const line = 'y'.repeat(1023);
    await writeFile(path, `${line}\n`.repeat(16));
    const { state, options } = consumer();
    follow({ ...options, reclaimBytes: 4096 });
    await until(() => state.lines.length === 16);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const holes = async () => (await readFile(path)).indexOf(Buffer.from('y'));
    expect(await holes()).toBe(0); // nothing delivered yet: nothing punched
    state.release();
    await until(() => state.commits.length > 0);
    // Reclaiming is asynchronous (fallocate); wait for it.
    const deadline = Date.now() + 5000;
    while ((await holes()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const firstData = await holes();
    expect(firstData).toBe(12288); // 16 KiB delivered, minus the 64-byte fingerprint window, in whole 4 KiB blocks
  });
});
