/** Reads spans from files (OTLP file / OTLP JSON / Jaeger JSON, told apart by content) or '-' for stdin. */
import { readFile } from 'node:fs/promises';
import { parseJaegerJson } from './read-jaeger.js';
import { parseOtlpJson, type ReadResult } from './read-otlp-json.js';

async function readText(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parseSpansText(text: string): ReadResult {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && /^\{\s*"data"\s*:/.test(trimmed)) {
    try {
      return parseJaegerJson(JSON.parse(text));
    } catch {
      // not one Jaeger document: fall through to OTLP
    }
  }
  return parseOtlpJson(text);
}

export async function readSpanFiles(paths: string[]): Promise<ReadResult> {
  const result: ReadResult = { spans: [], skipped: 0 };
  for (const path of paths) {
    const one = parseSpansText(await readText(path));
    result.spans.push(...one.spans);
    result.skipped += one.skipped;
  }
  return result;
}
