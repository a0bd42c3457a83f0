/**
 * njs entry point: only the handlers nginx calls. Built into njs/tracing.js.
 * tracing-http.conf: js_set $tracing__js_result njs_tracing.context;
 */
import { computeContext } from './handler.js';

function context(r: NginxHTTPRequest): string {
  return computeContext(r as unknown as Parameters<typeof computeContext>[0]);
}

export default { context };
