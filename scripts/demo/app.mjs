// The demo's application: answers every request and says which trace
// headers reached it, the way an instrumented service would continue them.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 9080);
const TRACE_HEADERS = ['traceparent', 'tracestate', 'b3', 'uber-trace-id'];

createServer((req, res) => {
  const seen = Object.fromEntries(TRACE_HEADERS.filter((h) => req.headers[h]).map((h) => [h, req.headers[h]]));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ app: 'demo', path: req.url, received: seen }) + '\n');
}).listen(port, '127.0.0.1');
