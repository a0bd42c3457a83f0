/**
 * A UDP listener on 127.0.0.1 standing in for the syslog receiver: nginx's
 * `access_log syslog:server=127.0.0.1:PORT` sends one datagram per record.
 */
import { createSocket } from 'node:dgram';

export interface Datagram {
  buffer: Buffer;
  /** The datagram decoded as UTF-8. */
  text: string;
}

export interface UdpCapture {
  port: number;
  /** "127.0.0.1:PORT", as nginx's syslog:server= wants it. */
  address: string;
  datagrams: Datagram[];
  texts(): string[];
  /** Resolves with all datagrams once predicate(all) holds; rejects after timeoutMs. */
  waitFor(predicate: (all: Datagram[]) => boolean, timeoutMs?: number): Promise<Datagram[]>;
  close(): Promise<void>;
}

export async function startUdpCapture(): Promise<UdpCapture> {
  const socket = createSocket('udp4');
  const datagrams: Datagram[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (buffer) => {
    datagrams.push({ buffer, text: buffer.toString('utf8') });
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  let closed = false;

  return {
    port,
    address: `127.0.0.1:${port}`,
    datagrams,
    texts: () => datagrams.map((d) => d.text),
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(datagrams)) return;
          done();
          resolve(datagrams);
        };
        const timer = setTimeout(() => {
          done();
          const got = datagrams.map((d) => `  ${d.text.slice(0, 300)}`).join('\n');
          reject(new Error(`udp capture :${port}: condition not met after ${timeoutMs} ms; ` +
            `${datagrams.length} datagram(s):\n${got}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}
