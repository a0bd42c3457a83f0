/**
 * Span record version 2 (written by the includes until record version 3): joined fields as
 * fields.ts describes them, with the server and the client port in `n` and
 * nginx's $host (no port) in `host`. Kept so the sidecar still reads records
 * of includes older than itself during an upgrade. Parts meant what the parts
 * of the same names mean in fields.ts.
 */

/** A v2 field: its JSON key and the part keys joined in it, in order. */
export interface LayoutField {
  key: string;
  parts: readonly string[];
  separator?: string;
  optional?: true;
}

export const RECORD_LAYOUT_V2: readonly LayoutField[] = [
  { key: 'id', separator: ' ', parts: ['tid', 'sid', 'cid', 'fl', 'bad', 'pid', 'ltid', 'lsid', 'fmt', 'err', 'tst'] },
  { key: 't', separator: ' ', parts: ['end', 'dur', 'ust'] },
  { key: 'n', separator: ' ', parts: ['st', 'sch', 'pv', 'spt', 'cpt', 'rqb', 'rsb', 'cip'] },
  { key: 'u', separator: '|', parts: ['ua_st', 'ua_ct', 'ua_ht', 'ua_rt', 'ua_addr'] },
  { key: 'k', separator: ' ', parts: ['k_ns', 'k_ing', 'k_svc', 'k_port'] },
  { key: 'meth', parts: ['meth'] },
  { key: 'host', parts: ['host'] },
  { key: 'path', parts: ['path'] },
  { key: 'ua', parts: ['ua'] },
  { key: 'rte', parts: ['rte'] },
  { key: 'qry', parts: ['qry'] },
  { key: 'rpc', parts: ['rpc'], optional: true },
];
