/**
 * Span record version 1 (until issue 7r): one JSON string per value. Kept so
 * the sidecar still reads records of includes older than itself during an
 * upgrade (the sidecar and the includes roll at different times). The fields
 * meant what the parts of the same names mean in fields.ts.
 */

/** v1 keys in the order nginx wrote them; rpc was added later without a bump (optional). */
export const RECORD_KEYS_V1 = [
  'tid', 'sid', 'pid', 'cid', 'fl', 'tst', 'ltid', 'lsid', 'fmt', 'bad', 'end', 'ust', 'dur', 'meth', 'sch',
  'host', 'path', 'qry', 'rte', 'st', 'cip', 'cpt', 'spt', 'ua', 'pv', 'rqb', 'rsb', 'ua_addr', 'ua_st', 'ua_ct',
  'ua_ht', 'ua_rt', 'k_ns', 'k_ing', 'k_svc', 'k_port', 'err', 'rpc',
] as const;

export const OPTIONAL_KEYS_V1: readonly string[] = ['rpc'];
