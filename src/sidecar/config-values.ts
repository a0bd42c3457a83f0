/**
 * Parsers for single configuration values. Each returns the parsed value or
 * throws a ConfigError that names the variable and quotes the value received,
 * so a typo in a Deployment stops start-up with a message that points at it.
 */

export class ConfigError extends Error {
  constructor(variable: string, value: string, expected: string) {
    super(`${variable}=${JSON.stringify(value)} is invalid: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

export interface HostPort {
  host: string;
  port: number;
}

/** "127.0.0.1:5140", "[::1]:5140", "localhost:5140" or ":5140" (all interfaces). */
export function parseHostPort(variable: string, value: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]*)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new ConfigError(variable, value, 'HOST:PORT with a port from 0 (any free port) to 65535, e.g. 127.0.0.1:5140 or [::1]:5140');
  }
  return { host: match[1] ?? (match[2] === '' ? '0.0.0.0' : match[2]), port };
}

export function parseInteger(variable: string, value: string, min: number, max: number): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new ConfigError(variable, value, `an integer from ${min} to ${max}`);
  }
  return number;
}

export function parseChoice<T extends string>(variable: string, value: string, choices: readonly T[]): T {
  const normalized = value.trim().toLowerCase();
  if (!(choices as readonly string[]).includes(normalized)) {
    throw new ConfigError(variable, value, `one of ${choices.join(', ')}`);
  }
  return normalized as T;
}

/** A comma list where every item must be one of `choices`; duplicates removed. */
export function parseChoiceList<T extends string>(variable: string, value: string, choices: readonly T[]): T[] {
  const items = value.split(',').map((item) => item.trim().toLowerCase()).filter((item) => item !== '');
  if (items.length === 0) throw new ConfigError(variable, value, `a comma list of ${choices.join(', ')}`);
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) {
      throw new ConfigError(variable, value, `a comma list of ${choices.join(', ')} (got "${item}")`);
    }
  }
  return [...new Set(items)] as T[];
}

export function parseUrl(variable: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // fall through to the error naming the variable
  }
  throw new ConfigError(variable, value, 'an absolute http:// or https:// URL');
}

/**
 * The W3C Baggage-like list OpenTelemetry uses for OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_EXPORTER_OTLP_HEADERS: "key1=value1,key2=value2", values percent-encoded.
 */
export function parseKeyValueList(variable: string, value: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    const key = equals > 0 ? item.slice(0, equals).trim() : '';
    if (key === '') throw new ConfigError(variable, value, 'a comma list of key=value pairs');
    try {
      result[key] = decodeURIComponent(item.slice(equals + 1).trim());
    } catch {
      throw new ConfigError(variable, value, `percent-encoded values (bad value for "${key}")`);
    }
  }
  return result;
}
