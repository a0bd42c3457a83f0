/**
 * The map key nginx looks a request up by: "$namespace/$ingress_name", as
 * ingress-nginx sets them in every location. Keys come from Kubernetes name
 * grammar only, and must fit nginx's map hash bucket, or nginx would refuse
 * the whole configuration ("could not build map_hash, you should increase
 * map_hash_bucket_size") and with it every later reload of the controller.
 */

/** RFC 1123 label: namespaces. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: Ingress names. */
const NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Longest key a bucket of `bucketSize` bytes holds: nginx needs
 * align8(8 + length + 2) + 8 <= bucket size (NGX_HASH_ELT_SIZE plus the
 * bucket's terminating pointer), with the bucket size rounded up to the
 * cache line (64 bytes here).
 */
export function maxKeyLength(bucketSize: number): number {
  const bucket = Math.ceil(bucketSize / 64) * 64;
  return Math.floor((bucket - 8) / 8) * 8 - 10;
}

export type KeyCheck = { key: string } | { error: string };

export function ingressKey(namespace: unknown, name: unknown, bucketSize: number): KeyCheck {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    return { error: `namespace ${JSON.stringify(String(namespace).slice(0, 70))} is not a Kubernetes namespace name` };
  }
  if (typeof name !== 'string' || !NAME.test(name)) {
    return { error: `name ${JSON.stringify(String(name).slice(0, 260))} is not a Kubernetes object name` };
  }
  const key = `${namespace}/${name}`;
  const max = maxKeyLength(bucketSize);
  if (key.length > max) {
    return {
      error:
        `"${key}" has ${key.length} characters; nginx's map_hash_bucket_size ${bucketSize} holds keys up to ${max}: ` +
        'raise map-hash-bucket-size in the controller ConfigMap and NJS_TRACING_POLICY_MAP_HASH_BUCKET_SIZE with it',
    };
  }
  return { key };
}
