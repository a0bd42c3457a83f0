/** The demo's orders service: GET /orders/{cart id} reads the cart's lines from PostgreSQL. */
import { createServer } from 'node:http';
import pg from 'pg';
import { numberFromEnv, reply, setRoute } from './http-util.js';

const port = numberFromEnv('PORT', 9090);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL || 'postgres://demo@127.0.0.1:55432/demo', max: 20 });
const ROUTE = /^\/orders\/(\d{1,9})$/;

createServer(async (req, res) => {
  try {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return reply(res, 200, { ok: true });
    const match = ROUTE.exec(path);
    if (!match) return reply(res, 404, { error: 'no such route' });
    setRoute('/orders/{cart}');
    const result = await pool.query('SELECT item, qty FROM order_lines WHERE cart_id = $1 ORDER BY item', [Number(match[1])]);
    reply(res, 200, { lines: result.rows });
  } catch (error) {
    reply(res, 500, { error: String(error) });
  }
}).listen(port, '127.0.0.1');
