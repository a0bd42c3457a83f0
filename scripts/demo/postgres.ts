/**
 * A throw-away PostgreSQL for the demo (Debian's postgresql package, installed
 * by scripts/setup.sh): initdb in a temp dir, listening on 127.0.0.1 only,
 * seeded with the orders table. As root the server runs as the `postgres`
 * user (PostgreSQL refuses root). `slowQueryMs` injects the slow-db fault in
 * the database itself: the table the app reads becomes a view that sleeps.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface Postgres {
  port: number;
  url: string;
  stop(): Promise<void>;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) if (existsSync(join(base, version, 'bin', 'initdb'))) return join(base, version, 'bin');
  throw new Error('PostgreSQL not found under /usr/lib/postgresql (bash scripts/setup.sh installs it)');
}

async function userIds(name: string): Promise<[number, number]> {
  const { stdout: uid } = await run('id', ['-u', name]);
  const { stdout: gid } = await run('id', ['-g', name]);
  return [Number(uid), Number(gid)];
}

export async function startPostgres(options: { dir: string; port: number; slowQueryMs?: number }): Promise<Postgres> {
  const bin = binDir();
  const data = join(options.dir, 'pgdata');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = await userIds('postgres');
    chownSync(data, uid, gid);
  }
  const as = (command: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args));
  await as(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'demo', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const settings = [
    `-p ${options.port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${data}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=50',
  ].join(' ');
  await as(join(bin, 'pg_ctl'), ['-D', data, '-l', join(data, 'server.log'), '-w', '-t', '30', '-o', settings, 'start']);
  const url = `postgres://demo@127.0.0.1:${options.port}/postgres`;
  const stop = async () => {
    await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  };
  try {
    await seed(url, options.slowQueryMs ?? 0);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port: options.port, url, stop };
}

async function seed(url: string, slowQueryMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE order_lines_data (cart_id int NOT NULL, item text NOT NULL, qty int NOT NULL);
      INSERT INTO order_lines_data
        SELECT cart, 'item-' || line, 1 + (cart + line) % 3 FROM generate_series(1, 1000) cart, generate_series(1, 4) line;
      CREATE INDEX ON order_lines_data (cart_id);`);
    // pg_sleep is volatile: evaluated once for every query that reads the view.
    const sleep = slowQueryMs > 0 ? ` CROSS JOIN (SELECT pg_sleep(${slowQueryMs / 1000})) AS injected_fault` : '';
    await client.query(`CREATE VIEW order_lines AS SELECT d.* FROM order_lines_data d${sleep}`);
  } finally {
    await client.end();
  }
}
