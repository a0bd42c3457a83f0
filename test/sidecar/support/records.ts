/**
 * Span record lines as NGINX writes them (every field a JSON string, values
 * joined as RECORD_FIELDS says), built from the table so they follow the
 * shared format; and version 1 and 2 lines, as older includes wrote them.
 */
import { RECORD_KEYS_V1 } from '../../../src/record/fields-v1.js';
import { RECORD_LAYOUT_V2 } from '../../../src/record/fields-v2.js';
import { RECORD_FIELDS, RECORD_VERSION, type FieldSpec, type LegacyKey, type RecordKey } from '../../../src/record/fields.js';

/** Values by part key; spt and cpt are written only into older versions' lines. */
export type RecordOverrides = Partial<Record<RecordKey | LegacyKey, string>>;

let counter = 0;

/** Distinct, valid ids for each call: 32/16 lowercase hex, never all zero. */
export function freshIds(): { tid: string; sid: string; cid: string } {
  counter++;
  const n = (counter + process.pid * 1000).toString(16);
  return {
    tid: ('4bf92f3577b34da6a3ce929d0e0e' + n).slice(-32).padStart(32, 'a'),
    sid: ('00f067aa0ba9' + n).slice(-16).padStart(16, 'b'),
    cid: ('c0ffee00' + n).slice(-16).padStart(16, 'c'),
  };
}

const DEFAULTS: Record<RecordKey | LegacyKey, string> = {
  tid: '4bf92f3577b34da6a3ce929d0e0e4736',
  sid: '00f067aa0ba902b7',
  pid: '',
  cid: 'b7ad6b7169203331',
  rid: '',
  fl: '01',
  tst: '',
  ltid: '',
  lsid: '',
  fmt: '',
  bad: '',
  end: '1700000000.250',
  ust: '',
  dur: '0.250',
  meth: 'GET',
  sch: 'http',
  host: 'shop.example',
  path: '/api/items/42',
  qry: '',
  rte: '/api/items',
  st: '200',
  cip: '10.1.2.3',
  cpt: '51234',
  spt: '80',
  ua: 'curl/8.5.0',
  pv: 'HTTP/1.1',
  rqb: '120',
  rsb: '560',
  ua_addr: '10.0.0.7:8080',
  ua_st: '200',
  ua_ct: '0.002',
  ua_ht: '0.150',
  ua_rt: '0.200',
  k_ns: 'shop',
  k_ing: 'shop-ingress',
  k_svc: 'items',
  k_port: '8080',
  err: '',
  rpc: '',
};

const value = (overrides: RecordOverrides, key: RecordKey | LegacyKey): string => overrides[key] ?? DEFAULTS[key];

/** One record line (no newline). */
export function recordLine(overrides: RecordOverrides = {}): string {
  const fields: Record<string, string | number> = { v: RECORD_VERSION };
  // rid is the CLIENT and the SERVER span id as one value, as $request_id holds them.
  const all = { ...overrides, rid: overrides.rid ?? value(overrides, 'cid') + value(overrides, 'sid') };
  for (const field of RECORD_FIELDS as readonly FieldSpec[])
    fields[field.key] = field.parts.map((part) => value(all, part.key as RecordKey)).join(field.separator ?? '');
  return JSON.stringify(fields);
}

/** The same values as a version 2 record (joined fields with both ports; host as nginx's $host wrote it). */
export function recordLineV2(overrides: RecordOverrides = {}): string {
  const fields: Record<string, string | number> = { v: 2 };
  for (const field of RECORD_LAYOUT_V2)
    fields[field.key] = field.parts.map((part) => value(overrides, part as RecordKey | LegacyKey)).join(field.separator ?? '');
  return JSON.stringify(fields);
}

/** The same values as a version 1 record (one JSON string per value). */
export function recordLineV1(overrides: RecordOverrides = {}): string {
  const fields: Record<string, string | number> = { v: 1 };
  for (const key of RECORD_KEYS_V1) fields[key] = value(overrides, key);
  return JSON.stringify(fields);
}

/** The same record as NGINX's syslog sink sends it: "<PRI>timestamp tag: json". */
export function syslogDatagram(overrides: RecordOverrides = {}): string {
  return `<190>Nov 24 23:59:59 njs_tracing: ${recordLine(overrides)}`;
}

/** A record ending now, lasting `durationMs`, with fresh ids. */
export function recentRecord(overrides: RecordOverrides = {}, durationMs = 20): RecordOverrides {
  const endSeconds = Date.now() / 1000;
  return {
    ...freshIds(),
    end: endSeconds.toFixed(3),
    dur: (durationMs / 1000).toFixed(3),
    ua_ct: '0.001',
    ua_ht: '0.005',
    ua_rt: (durationMs / 2000).toFixed(3),
    ...overrides,
  };
}
