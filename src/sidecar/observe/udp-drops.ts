/**
 * Datagrams the kernel dropped for our UDP socket (its receive buffer was
 * full while the event loop was busy): the `drops` column of /proc/net/udp
 * and /proc/net/udp6 on the line whose local address is ours. Read at scrape
 * time; null where /proc is not there (not Linux).
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';

/** The kernel's spelling of a local address: each 32-bit word of the address as a little-endian hex number, then the port. */
export function procAddress(host: string, port: number): string {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  if (!isIPv6(host)) {
    return host.split('.').map((part) => Number(part).toString(16).toUpperCase().padStart(2, '0')).reverse().join('') + ':' + portHex;
  }
  const words = expandIPv6(host);
  let hex = '';
  for (let word = 0; word < 4; word++) {
    const bytes = [words[word * 2] >> 8, words[word * 2] & 0xff, words[word * 2 + 1] >> 8, words[word * 2 + 1] & 0xff];
    hex += bytes.reverse().map((byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
  return `${hex}:${portHex}`;
}

function expandIPv6(host: string): number[] {
  const [head, tail = ''] = host.split('::');
  const parse = (text: string) => (text === '' ? [] : text.split(':').map((part) => parseInt(part, 16)));
  const first = parse(head);
  const last = host.includes('::') ? parse(tail) : [];
  return [...first, ...Array(8 - first.length - last.length).fill(0), ...last];
}

/** Drops counted for the socket bound to host:port, or null when no such line (or no /proc). */
export function udpDrops(host: string, port: number, files = ['/proc/net/udp', '/proc/net/udp6']): number | null {
  const wanted = procAddress(host, port);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns[1] === wanted) return Number(columns[columns.length - 1]) || 0;
    }
  }
  return null;
}
