/**
 * The access_log lines that ship span records out of nginx. Both are written
 * in the log phase, after the response, and never block a request:
 * - file (default): buffered, one write per 64 KiB or per second — the cheap
 *   way out of nginx; the sidecar tails the file.
 * - udp: one syslog datagram per record; needs no shared file, costs a sendto.
 * The test harness and the Helm chart replace these two defaults literally.
 */
import { LOG_FORMAT_NAME } from '../record/log-format.js';

export const DEFAULT_SINK_FILE = '/var/log/nginx/njs-tracing-spans.log';
export const DEFAULT_SINK_UDP = '127.0.0.1:5140';
export const SYSLOG_TAG = 'njs_tracing';

export function renderSinks(): string {
  return [
    `access_log ${DEFAULT_SINK_FILE} ${LOG_FORMAT_NAME} buffer=64k flush=1s if=$tracing__sink_file;`,
    `access_log syslog:server=${DEFAULT_SINK_UDP},facility=local7,tag=${SYSLOG_TAG},severity=info,nohostname ${LOG_FORMAT_NAME} if=$tracing__sink_udp;`,
  ].join('\n');
}
