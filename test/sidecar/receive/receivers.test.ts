import { createSocket } from 'node:dgram';
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTail } from '../../../src/sidecar/receive/file-tail.js';
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

  function follow(options: { startAt?: 'end' | 'beginning'; reclaimBytes?: number; maxLineBytes?: number } = {}) {
    tail = new FileTail({
      path,
      pollMs: 20,
      startAt: options.startAt ?? 'end',
      reclaimBytes: options.reclaimBytes ?? 0,
      maxLineBytes: options.maxLineBytes ?? 8192,
      onLine: (line) => lines.push(line),
      logger,
    });
    tail.start();
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
    await until(() => lines.length === 3);
    expect(lines).toEqual(['before', 'late write to the old file', 'after']);
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
