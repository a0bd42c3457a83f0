/**
 * Render the nginx log_format that writes span records, from RECORD_FIELDS.
 * Used by the build to fill nginx-conf/tracing-http.conf.
 */
import { RECORD_FIELDS, RECORD_VERSION } from './fields.js';

export const LOG_FORMAT_NAME = 'tracing_span';

export function renderLogFormat(): string {
  const fields = RECORD_FIELDS.map((field) => `"${field.key}":"${field.nginx}"`);
  const body = [`{"v":${RECORD_VERSION}`, ...fields].join(',') + '}';
  // One quoted chunk per field keeps the generated conf readable and diffable.
  const chunks = body.split(/(?<=",)/).map((chunk) => `    '${chunk}'`);
  return `log_format ${LOG_FORMAT_NAME} escape=json\n${chunks.join('\n')};`;
}
