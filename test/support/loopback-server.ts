/**
 * Starting and stopping the test doubles' servers (upstreams, backends): on
 * 127.0.0.1, on a port the kernel picks unless one is given.
 */
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';

/** Listens on 127.0.0.1 and resolves to the port. */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Closes the socket and, for HTTP servers, every open connection: the peer then sees connection refused. */
export async function closeServer(server: Server | null): Promise<void> {
  if (!server) return;
  (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
