/**
 * The trace-context and baggage headers a client may send that an
 * internet-facing ingress must not pass on (tracing-location-distrust.conf):
 * each can make an application continue, force-sample or annotate a trace
 * the client chose.
 */
import { B3, B3_MULTI_HEADERS } from '../njs/propagation/b3.js';
import { UBER_TRACE_ID } from '../njs/propagation/jaeger.js';

export const DISTRUSTED_HEADERS: string[] = [
  B3,
  ...B3_MULTI_HEADERS,
  UBER_TRACE_ID,
  // Jaeger: forces sampling and tags the trace with the value.
  'jaeger-debug-id',
  // Jaeger's legacy baggage header ("key=value, ...").
  'jaeger-baggage',
  // W3C Baggage: key-value pairs every OpenTelemetry SDK propagates by default.
  'baggage',
  // OpenTracing's and the Zipkin/Lightstep "ot" format's single headers.
  'ot-tracer-traceid',
  'ot-tracer-spanid',
  'ot-tracer-sampled',
];

/** Header-name prefixes (Jaeger and OpenTracing baggage, one header per key): only headers-more can drop these. */
export const DISTRUSTED_PREFIXES: string[] = ['uberctx-', 'ot-baggage-'];
