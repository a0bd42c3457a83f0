/**
 * The demo's frontend: GET /cart/{id} and POST /checkout/{id} (reads the
 * uploaded body) each ask the orders service for the cart's lines.
 * Faults: DEMO_HANDLER_DELAY_MS makes the handler itself slow; DEMO_FAIL_AFTER_MS
 * makes this instance answer 502 after that long (a broken pod NGINX retries past).
 */
import { request } from 'node:http';
import { numberFromEnv, readBody, reply, serveRoute, setRoute, sleep } from './http-util.js';

const port = numberFromEnv('PORT', 9081);
const ordersUrl = process.env.ORDERS_URL || 'http://127.0.0.1:9090';
const handlerDelayMs = numberFromEnv('DEMO_HANDLER_DELAY_MS', 0);
const failAfterMs = numberFromEnv('DEMO_FAIL_AFTER_MS', 0);
const ROUTE = /^\/(cart|checkout)\/(\d{1,9})$/;

function getOrders(cartId: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${ordersUrl}/orders/${cartId}`, { timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('orders timed out')));
    req.on('error', reject);
    req.end();
  });
}

serveRoute(port, ROUTE, async (match, req, res) => {
  setRoute(`/${match[1]}/{id}`);
  const uploaded = await readBody(req);
  if (failAfterMs > 0) {
    await sleep(failAfterMs);
    return reply(res, 502, { error: 'this instance is broken (DEMO_FAIL_AFTER_MS)' });
  }
  if (handlerDelayMs > 0) await sleep(handlerDelayMs);
  const orders = await getOrders(match[2]);
  reply(res, orders.status === 200 ? 200 : 502, { cart: Number(match[2]), uploaded, orders: orders.body });
});
