/**
 * Receives span records NGINX sends with `access_log syslog:server=...`: one
 * record per datagram, "<PRI>timestamp tag: {json}". The receive buffer is
 * enlarged so a burst is queued by the kernel instead of dropped while the
 * event loop is busy exporting.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { HostPort } from '../config-values.js';
import type { Logger } from '../observe/logger.js';

export type LineHandler = (line: string) => void;

export interface UdpReceiverOptions {
  address: HostPort;
  /** SO_RCVBUF to ask for; the kernel may clamp it (net.core.rmem_max), which is logged. 0 = leave as is. */
  receiveBufferBytes: number;
  onLine: LineHandler;
  logger: Logger;
}

export class UdpReceiver {
  private socket: Socket | null = null;

  constructor(private readonly options: UdpReceiverOptions) {}

  /** Binds the socket; resolves with the bound port (useful when port 0 was asked for). */
  start(): Promise<number> {
    const { address, onLine, logger } = this.options;
    const socket = createSocket({ type: isIPv6(address.host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('message', (message) => onLine(message.toString('utf8')));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(address.port, address.host, () => {
        socket.off('error', reject);
        socket.on('error', (error) => logger.error({ err: error }, 'UDP receiver error'));
        this.growReceiveBuffer(socket);
        const port = socket.address().port;
        logger.info({ address: `${address.host}:${port}` }, 'receiving span records over UDP');
        resolve(port);
      });
    });
  }

  private growReceiveBuffer(socket: Socket): void {
    const wanted = this.options.receiveBufferBytes;
    if (wanted <= 0) return;
    try {
      socket.setRecvBufferSize(wanted);
    } catch (error) {
      this.options.logger.warn({ err: error, wanted }, 'could not set the UDP receive buffer size');
    }
    // Linux doubles the value it stores and clamps it at net.core.rmem_max.
    const actual = socket.getRecvBufferSize();
    if (actual < wanted) {
      this.options.logger.warn(
        { wanted, actual },
        'UDP receive buffer clamped by the kernel; raise net.core.rmem_max to absorb larger bursts',
      );
    }
  }

  /** Stops receiving; datagrams already read have been handed to onLine. */
  stop(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
