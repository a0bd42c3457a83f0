/**
 * The whole-header sources of src/njs/propagation/w3c-grammar.ts are meant for
 * nginx `map` regexes (PCRE). Here each one is a map in real nginx, on every
 * runtime, and must answer as JavaScript's regex and the njs parsers do,
 * including on 10 KB hostile headers: a regex that backtracks
 * catastrophically hits PCRE's match limit, which nginx logs at [alert] (and
 * the harness fails on any such line).
 */
import { request } from 'node:http';
import { beforeAll, expect, it } from 'vitest';
import { parseTraceState } from '../../src/njs/propagation/tracestate';
import { parseTraceparent } from '../../src/njs/propagation/w3c';
import { LIST, NORMAL_LIST, TRACEPARENT, TRACEPARENT_00 } from '../../src/njs/propagation/w3c-grammar';
import type { Nginx } from '../support/nginx.js';
import { startNginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';

/** A regex source as an nginx map key: "~" and the source in a quoted string (the parser unescapes \\ and \"). */
const mapKey = (source: string) => `"~${source.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const SOURCES = { list: LIST, normal: NORMAL_LIST, tp: TRACEPARENT, tp00: TRACEPARENT_00 };

const HTTP = `
    large_client_header_buffers 4 32k;
    map $http_x_list $grammar_list { ${mapKey(LIST)} 1; default 0; }
    map $http_x_list $grammar_normal { ${mapKey(NORMAL_LIST)} 1; default 0; }
    map $http_x_traceparent $grammar_tp { ${mapKey(TRACEPARENT)} 1; default 0; }
    map $http_x_traceparent $grammar_tp00 { ${mapKey(TRACEPARENT_00)} 1; default 0; }
    server {
        listen 127.0.0.1:{{port:main}};
        location / { return 200 "list=$grammar_list normal=$grammar_normal tp=$grammar_tp tp00=$grammar_tp00"; }
    }
`;

const T = '0af7651916cd43dd8448eb211c80319c';
const P = 'b7ad6b7169203331';
const VALID = `00-${T}-${P}-01`;
const bars = (n: number) => Array.from({ length: n }, (_, i) => `bar${i}=${i}`).join(',');

// Header values nginx passes on as they are: no CR, LF or NUL, no space or tab at either end.
const LISTS: Array<[string, string]> = [
  ['twoMembers', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'],
  ['owsAndEmptyMembers', 'a=1 \t, ,\t,b=2'],
  ['keysWithAt', 'foo@=1,foo@@bar=2'],
  ['keyStartingWithAt', '@foo=1'],
  ['duplicateKeys', 'a=1,a=1'],
  ['key256', `${'z'.repeat(256)}=1`],
  ['key257', `${'z'.repeat(257)}=1`],
  ['value256', `a=${'v'.repeat(256)}`],
  ['value257', `a=${'v'.repeat(257)}`],
  ['valueLeadingSpaces', 'a=  b'],
  ['members32', bars(32)],
  ['members33', bars(33)],
  ['over512', Array.from({ length: 6 }, (_, i) => `k${i}=${'x'.repeat(96)}`).join(',')],
  ['upperCaseKey', 'A=1'],
  ['commasOnly', ',,,'],
  // 10 KB hostile headers
  ['emptyMembersThenGarbage', `${' ,\t,'.repeat(2500)}X`],
  ['tenThousandCommasThenMember', `${','.repeat(10000)}a=1`],
  ['spacedValueThenGarbage', `a=${'b '.repeat(5000)}c`],
  ['tabsInsideMember', `a=b${'\t'.repeat(10000)}x`],
  ['tenKilobyteKey', `${'a'.repeat(10000)}=1`],
  ['twoThousandMembers', bars(2000)],
  ['manyMembersWithOwsThenGarbage', `${'a=1 \t, '.repeat(1400)}A`],
  ['almostMembers', 'a=1 '.repeat(2500)],
  ['validOwsRunsBetween32', Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(`${' \t'.repeat(150)},${'\t '.repeat(150)}`)],
];

const TRACEPARENTS: Array<[string, string]> = [
  ['valid', VALID],
  ['owsInside', `00-${T}-\t${P}-01`],
  ['tabsAround', `\t\t00-${T}-${P}-01\t`],
  ['futureVersion', `cc-${T}-${P}-01-future`],
  ['futureVersionTabsAround', `\tcc-${T}-${P}-01-x\t`],
  ['version00WithField', `00-${T}-${P}-01-x`],
  ['tenKilobytesOfTabsThenGarbage', `${'\t'.repeat(10000)}x`],
  ['tenKilobytesAfterValid', `00-${T}-${P}-01${'\t'.repeat(5000)}x${'-'.repeat(5000)}`],
  ['futureVersionLongField', `cc-${T}-${P}-01-${'x'.repeat(10000)}`],
];

/** What JavaScript's regexes and the njs parsers say about the two headers. */
function expected(list: string, traceparent: string): string {
  const js = (key: keyof typeof SOURCES, value: string) => (new RegExp(SOURCES[key]).test(value) ? 1 : 0);
  return `list=${js('list', list)} normal=${js('normal', list)} tp=${js('tp', traceparent)} tp00=${js('tp00', traceparent)}`;
}

describeEachRuntime('w3c-grammar sources as nginx map regexes (PCRE)', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startNginx({ runtime: rt, http: HTTP });
  });

  it.each(LISTS)('tracestate %s: PCRE answers as JavaScript and the njs parser', async (_name, list) => {
    const body = await text(nginx, list, VALID);
    expect(body).toBe(expected(list, VALID));
    // The regex and the parser agree: LIST says valid, NORMAL_LIST says "passes unchanged".
    const parsed = parseTraceState(list);
    expect(body).toContain(`list=${parsed === null ? 0 : 1}`);
    expect(body).toContain(`normal=${parsed === list ? 1 : 0}`);
  });

  it.each(TRACEPARENTS)('traceparent %s: PCRE answers as JavaScript and the njs parser', async (_name, traceparent) => {
    const body = await text(nginx, 'a=1', traceparent);
    expect(body).toBe(expected('a=1', traceparent));
    const parsed = parseTraceparent(traceparent);
    expect(body).toContain(`tp=${parsed === null ? 0 : 1}`);
    expect(body).toContain(`tp00=${parsed !== null && /^[ \t]*00-/.test(traceparent) ? 1 : 0}`);
  });
});

/**
 * The body nginx answers for these two header values (never empty: nginx
 * tries no map regex on an empty value). node:http sends values as given
 * (fetch would trim the tabs at either end).
 */
function text(nginx: Nginx, list: string, traceparent: string): Promise<string> {
  const headers = { 'x-list': list, 'x-traceparent': traceparent };
  return new Promise((resolve, reject) => {
    const req = request(nginx.url('/'), { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(`${res.statusCode === 200 ? '' : `status ${res.statusCode}: `}${Buffer.concat(chunks).toString('utf8')}`));
    });
    req.on('error', reject);
    req.end();
  });
}
