/** The demo's orders service: GET /orders/{cart id} reads the cart's lines from PostgreSQL. */
import pg from 'pg';
import { numberFromEnv, reply, serveRoute, setRoute } from './http-util.js';

const port = numberFromEnv('PORT', 9090);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL || 'postgres://demo@127.0.0.1:55432/demo', max: 20 });
const ROUTE = /^\/orders\/(\d{1,9})$/;

serveRoute(port, ROUTE, async (match, _req, res) => {
  setRoute('/orders/{cart}');
  const result = await pool.query('SELECT item, qty FROM order_lines WHERE cart_id = $1 ORDER BY item', [Number(match[1])]);
  reply(res, 200, { lines: result.rows });
});
