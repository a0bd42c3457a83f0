// The slow-connect fault: a TCP listener that never accepts. Its event loop
// stops inside the listen callback, so once the accept queue is full (the
// caller opens a few plug connections) the kernel drops every further SYN and
// a client's connect hangs until it gives up (NGINX: proxy_connect_timeout).
// Loopback only. Usage: node full-backlog.mjs PORT
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
createServer().listen({ port, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write('ready\n'); // a pipe: written synchronously on Linux
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
