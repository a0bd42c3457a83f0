/**
 * The values of $tracing__mode: which path computes this request's context.
 * "off" (not traced) and "js" (njs decides) aside, every mode is native; the
 * specific ones let each field map name its source in one lookup, "native"
 * reads the fields through the winner maps. Every map keyed on $tracing__mode
 * lists the modes it treats specially and falls back (default) to the
 * generic variables, so a mode added here stays correct everywhere.
 */
export const NATIVE_MODES = [
  'root', // a new trace ($request_id), sampled (ratio 1 or always_on)
  'rootratio', // a new trace decided by the trace-id ratio (a ratio of the native table)
  'continue', // a trusted W3C parent followed (parent-based sampler)
  'continueratio', // a trusted W3C parent, decided by the ratio (traceidratio)
  'distrust', // a new sampled trace linking the distrusted W3C parent
  'b3', // a trusted B3 single-header context won (no traceparent rejected before it)
  'b3multi', // the same for X-B3-*
  'jaeger', // the same for uber-trace-id
  'native', // any other native case: fields through $tracing__tw
];
