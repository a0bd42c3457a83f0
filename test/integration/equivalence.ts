/**
 * Native path versus njs, for equivalence tests: one request to a matrix
 * location (traced-nginx.ts, MATRIX) and one to its njs twin, each outcome
 * with its ids replaced by their roles, must be equal; the native location
 * must also take the path the case names (a shape that silently fell back to
 * njs would still be equal, only slower). Shared by the equivalence test files.
 */
import { describe, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import type { Nginx } from '../support/nginx.js';
import { expectNoRecord, get, recordFor, uniquePath } from './traced-nginx.js';

export const TRACE = '0af7651916cd43dd8448eb211c80319c';
export const PARENT = 'b7ad6b7169203331';
export const SPAN = '00f067aa0ba902b7';
export const W3C = `00-${TRACE}-${PARENT}-01`;

export type Headers = Record<string, string>;
export type Path = 'native' | 'js';
/** A request to a matrix location, and the path its native location must take. */
export type Case = [location: string, name: string, headers: Headers, path: Path];

const OUT_HEADERS = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid',
  'x-b3-sampled', 'x-b3-flags', 'uber-trace-id'];

/** What a location did with one request, every id replaced by its role. */
async function outcome(nginx: Nginx, location: string, headers: Headers) {
  const path = uniquePath(location);
  const res = await get(nginx, path, headers);
  const upstream = res.upstream!;
  const sent = header(upstream, 'traceparent') ?? header(upstream, 'b3')?.replace(/^(\w+)-(\w+)-(\w)-\w+$/, '00-$1-$2-0$3') ?? '';
  const flags = sent.split('-')[3] ?? '';
  const sampled = flags === '01' || flags === '03';
  const record = sampled ? await recordFor(nginx, path) : null;
  const roles: Array<[string, string]> = [[TRACE, 'IN_TRACE'], [PARENT, 'IN_PARENT'], [SPAN, 'IN_SPAN'],
    [TRACE.slice(16), 'IN_TRACE_LOW']];
  if (record) roles.push([record.traceId, 'TRACE'], [record.clientSpanId, 'CLIENT'], [record.spanId, 'SERVER']);
  const role = (value: string | undefined) => {
    if (value === undefined) return null;
    let v = value;
    for (const [id, name] of roles) if (id) v = v.split(id).join(name);
    return v.replace(/[0-9a-f]{32}/g, 'ID32').replace(/[0-9a-f]{16}/g, 'ID16');
  };
  return {
    path: res.headers['x-tracing-path'] === 'js' ? 'js' : 'native',
    status: res.status,
    upstream: Object.fromEntries(OUT_HEADERS.map((name) => [name, role(header(upstream, name))])),
    record: record && {
      parent: role(record.parentSpanId),
      flags: record.traceFlags,
      traceState: record.traceState,
      link: record.link && { traceId: role(record.link.traceId), spanId: role(record.link.spanId) },
      format: record.incomingFormat,
      rejected: record.rejectedHeaders,
      error: record.error,
    },
    path_: path,
  };
}

/** The native location and its "-njs" twin answer the same; the native one by `path`. */
export async function expectSame(nginx: Nginx, location: string, headers: Headers, path: Path) {
  const native = await outcome(nginx, location, headers);
  const njs = await outcome(nginx, `${location}-njs`, headers);
  expect(njs.path, 'the twin must run njs').toBe('js');
  expect(native.path, 'path of the native location').toBe(path);
  if (native.record === null) await expectNoRecord(nginx, native.path_);
  if (njs.record === null) await expectNoRecord(nginx, njs.path_);
  const { path_: _a, path: _b, ...n } = native;
  const { path_: _c, path: _d, ...j } = njs;
  expect(n).toEqual(j);
}

/** One test per case, run concurrently: the native location and its njs twin answer the same. */
export function describeCases(nginx: () => Nginx, cases: Case[]) {
  describe.concurrent.each(cases.map(([location, name, headers, path]) => ({ location, name, headers, path })))(
    '$location: $name',
    ({ location, headers, path }) => {
      it(`answers as njs (${path})`, async () => {
        await expectSame(nginx(), location, headers, path);
      });
    },
  );
}
