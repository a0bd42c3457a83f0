/**
 * nginx reports every upstream attempt of a request (retries, next-upstream,
 * internal redirects) as parallel lists: "a, b" within one upstream group,
 * "a : b" across groups, "-" where an attempt has no value.
 */

export interface UpstreamAttempt {
  /** "10.0.0.7:8080", "unix:/run/app.sock" or an upstream group name. */
  address: string;
  /**
   * Status nginx logged for this attempt; 0 only when it logged none ("-").
   * An attempt that got no response still has one, made up by nginx (502 for
   * a refused or reset connection, 504 for a timeout): headerMs null says so.
   */
  status: number;
  /** Milliseconds, or null when nginx did not measure this phase. */
  connectMs: number | null;
  headerMs: number | null;
  responseMs: number | null;
}

/** Cap on attempts per record: nginx's own lists are bounded by proxy_next_upstream_tries. */
export const MAX_UPSTREAM_ATTEMPTS = 32;

const SEPARATOR = /, | : /;

function items(list: string): string[] {
  const value = list.trim();
  if (value === '' || value === '-') return [];
  return value.split(SEPARATOR).map((item) => item.trim());
}

function milliseconds(item: string | undefined): number | null {
  if (item === undefined || !/^\d+(\.\d+)?$/.test(item)) return null;
  return Math.round(Number(item) * 1000);
}

export function parseUpstreamAttempts(
  addresses: string,
  statuses: string,
  connectTimes: string,
  headerTimes: string,
  responseTimes: string,
): UpstreamAttempt[] {
  const address = items(addresses).slice(0, MAX_UPSTREAM_ATTEMPTS);
  const status = items(statuses);
  const connect = items(connectTimes);
  const header = items(headerTimes);
  const response = items(responseTimes);
  return address.map((addr, i) => ({
    address: addr,
    status: /^\d{3}$/.test(status[i] ?? '') ? Number(status[i]) : 0,
    connectMs: milliseconds(connect[i]),
    headerMs: milliseconds(header[i]),
    responseMs: milliseconds(response[i]),
  }));
}
