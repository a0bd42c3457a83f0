/**
 * Every span attribute name the sidecar writes. Stable OpenTelemetry HTTP
 * semantic-convention names come from the semconv package; the rest are
 * listed here with why they exist (docs/sidecar.md repeats this table).
 */
export {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';

/** Incubating semconv: whole request / response size incl. headers ($request_length, $bytes_sent). */
export const ATTR_HTTP_REQUEST_SIZE = 'http.request.size';
export const ATTR_HTTP_RESPONSE_SIZE = 'http.response.size';
/**
 * Ours: the ingress-nginx context of the location ($namespace, $ingress_name,
 * $service_name, $service_port). Not `k8s.*`: that namespace is reserved for
 * OpenTelemetry's own conventions, and the resource's `k8s.namespace.name` is
 * already the controller pod's namespace, a different thing from the Ingress's.
 */
export const ATTR_INGRESS_NAMESPACE = 'nginx.ingress.namespace';
export const ATTR_INGRESS_NAME = 'nginx.ingress.name';
export const ATTR_INGRESS_SERVICE_NAME = 'nginx.ingress.service.name';
/** An int when the Service port is numeric, else its name. */
export const ATTR_INGRESS_SERVICE_PORT = 'nginx.ingress.service.port';

/** Ours: per-attempt upstream timings NGINX measured, milliseconds. */
export const ATTR_UPSTREAM_ADDRESS = 'nginx.upstream.address';
export const ATTR_UPSTREAM_CONNECT_MS = 'nginx.upstream.connect_time_ms';
export const ATTR_UPSTREAM_HEADER_MS = 'nginx.upstream.header_time_ms';
export const ATTR_UPSTREAM_RESPONSE_MS = 'nginx.upstream.response_time_ms';

/** Ours: how the incoming context arrived and what was rejected. */
export const ATTR_INCOMING_FORMAT = 'tracing.incoming_format';
export const ATTR_REJECTED_HEADERS = 'tracing.rejected_headers';
export const ATTR_NJS_ERROR = 'tracing.njs_error';
/** On the span link: why the incoming context became a link instead of the parent. */
export const ATTR_LINK_REASON = 'tracing.link.reason';
export const LINK_REASON_DISTRUSTED = 'distrusted_incoming_context';
