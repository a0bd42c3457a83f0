/** Small text helpers shared by the terminal renderers. */
export type Paint = (text: string, style: keyof typeof STYLES) => string;

const STYLES = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36' } as const;

/** ANSI colours only when asked (a TTY); otherwise text as is. */
export function painter(enabled: boolean): Paint {
  return enabled ? (text, style) => `\x1b[${STYLES[style]}m${text}\x1b[0m` : (text) => text;
}

export function ms(value: number): string {
  if (value >= 100) return `${Math.round(value)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function padEnd(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function padStart(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
