/**
 * An nginx.conf shaped like the one the ingress-nginx controller renders from
 * its nginx.tmpl (controller v1.15.1), with the Lua left out: the ConfigMap
 * snippets at the template's insertion points, its http-level log format and
 * access log, and per Ingress location the `set $namespace …` lines, its own
 * proxy_set_header (grpc_set_header for backend-protocol GRPC) lines, then
 * location-snippet, then the proxy_pass/grpc_pass. Each piece below names the
 * nginx.tmpl lines it stands for; snippetOrderInTemplate() checks the real
 * template still puts the snippets there.
 */
import { readFileSync } from 'node:fs';

export interface IngressSnippets {
  /** The controller ConfigMap keys as rendered by the chart (paths already rewritten for the test). */
  http: string;
  location: string;
}

export interface IngressLocation {
  path: string;
  namespace: string;
  ingress: string;
  service: string;
  servicePort: string;
  /** nginx.ingress.kubernetes.io/backend-protocol */
  protocol: 'HTTP' | 'GRPC';
  /** Where the location proxies to: {{upstream:NAME}} or 127.0.0.1:PORT. */
  upstream: string;
}

/** What `$proxySetHeader` expands to in nginx.tmpl for this location. */
function setHeader(location: IngressLocation): string {
  return location.protocol === 'GRPC' ? 'grpc_set_header' : 'proxy_set_header';
}

function locationBlock(location: IngressLocation, snippet: string): string {
  const h = setHeader(location);
  const pass = location.protocol === 'GRPC' ? `grpc_pass grpc://${location.upstream};` : `proxy_pass http://${location.upstream};`;
  return `
        location ${location.path} {
            set $namespace      "${location.namespace}";
            set $ingress_name   "${location.ingress}";
            set $service_name   "${location.service}";
            set $service_port   "${location.servicePort}";
            set $location_path  "${location.path}";
            port_in_redirect off;
            set $balancer_ewma_score -1;
            set $proxy_upstream_name "${location.namespace}-${location.service}-${location.servicePort}";
            set $proxy_host          $proxy_upstream_name;
            set $pass_access_scheme  $scheme;
            set $pass_server_port    $server_port;
            set $best_http_host      $http_host;
            set $pass_port           $pass_server_port;
            set $proxy_alternative_upstream_name "";
            client_max_body_size                    1m;
            ${h} Host                   $best_http_host;
            # Allow websocket connections
            ${h}                        Upgrade           $http_upgrade;
            ${h}                        Connection        $connection_upgrade;
            ${h} X-Request-ID           $req_id;
            ${h} X-Real-IP              $remote_addr;
            ${h} X-Forwarded-For        $remote_addr;
            ${h} X-Forwarded-Host       $best_http_host;
            ${h} X-Forwarded-Port       $pass_port;
            ${h} X-Forwarded-Proto      $pass_access_scheme;
            ${h} X-Forwarded-Scheme     $pass_access_scheme;
            ${h} X-Scheme               $pass_access_scheme;
            ${h} X-Original-Forwarded-For  $http_x_forwarded_for;
            ${h} X-Original-Forwarded-Host $http_x_forwarded_host;
            ${h} Proxy                  "";
            proxy_connect_timeout                   5s;
            proxy_send_timeout                      60s;
            proxy_read_timeout                      60s;
            proxy_buffering                         off;
            proxy_buffer_size                       4k;
            proxy_buffers                           4 4k;
            proxy_max_temp_file_size                1024m;
            proxy_request_buffering                 on;
            proxy_http_version                      1.1;
            proxy_cookie_domain                     off;
            proxy_cookie_path                       off;
            proxy_next_upstream                     error timeout;
            proxy_next_upstream_timeout             0;
            proxy_next_upstream_tries               3;
${location.protocol === 'GRPC' ? `            # Grpc settings
            grpc_connect_timeout                    5s;
            grpc_send_timeout                       60s;
            grpc_read_timeout                       60s;
` : ''}
            # Custom code snippet configured in the configuration configmap
            ${snippet}

            ${pass}
            proxy_redirect                          off;
        }`;
}

/** The http {} body: nginx.tmpl's http block, cut to what does not need Lua. */
export function ingressHttpConfig(snippets: IngressSnippets, locations: IngressLocation[]): string {
  return `
    # nginx.tmpl: http {} settings the controller renders with its defaults
    tcp_nopush          on;
    tcp_nodelay         on;
    keepalive_timeout   75s;
    keepalive_requests  1000;
    http2_max_concurrent_streams 128;
    types_hash_max_size             2048;
    server_names_hash_max_size      1024;
    server_names_hash_bucket_size   64;
    map_hash_bucket_size            64;
    proxy_headers_hash_max_size     512;
    proxy_headers_hash_bucket_size  64;
    variables_hash_bucket_size      256;
    variables_hash_max_size         2048;
    underscores_in_headers          off;
    ignore_invalid_headers          on;
    server_tokens off;
    map $http_upgrade $connection_upgrade {
        default          upgrade;
        ''               '';
    }
    # Reverse proxies can detect if a client provides a X-Request-ID header, and pass it on to the backend server.
    map $http_x_request_id $req_id {
        default   $http_x_request_id;
        ""        $request_id;
    }
    map $request_uri $loggable {
        default 1;
    }
    log_format upstreaminfo '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';
    access_log {{logs}}/ingress-access.log upstreaminfo if=$loggable;
    proxy_ssl_session_reuse on;
    proxy_pass_header Server;

    # Custom code snippet configured in the configuration configmap
    ${snippets.http}

    server {
        server_name shop.example.com ;
        listen 127.0.0.1:{{port:main}} ;
        listen 127.0.0.1:{{port:h2}} http2 ;
        set $proxy_upstream_name "-";
${locations.map((location) => locationBlock(location, snippets.location)).join('\n')}
    }
`;
}

/**
 * Where the real nginx.tmpl puts the three snippets, as an ordered list of
 * markers: main-snippet before events {}, http-snippet after the http-level
 * access_log, location-snippet after the location's $proxySetHeader lines
 * and before buildProxyPass.
 */
export function snippetOrderInTemplate(nginxTmplPath: string): boolean {
  const tmpl = readFileSync(nginxTmplPath, 'utf8');
  const at = (marker: string, from = 0) => tmpl.indexOf(marker, from);
  const main = at('{{ $cfg.MainSnippet }}');
  const events = at('events {');
  const httpLog = at('access_log {{ or $cfg.HTTPAccessLogPath $cfg.AccessLogPath }} upstreaminfo');
  const http = at('{{ $cfg.HTTPSnippet }}');
  const namespace = at('set $namespace      {{ $ing.Namespace | quote}};');
  const headers = at('{{ $proxySetHeader }} X-Forwarded-For        $remote_addr;', namespace);
  const location = at('{{ $all.Cfg.LocationSnippet }}', headers);
  const pass = at('{{ buildProxyPass $server.Hostname $all.Backends $location }}', location);
  const grpcHeaders = tmpl.includes('grpc_set_header') || tmpl.includes('$proxySetHeader');
  return [main, events, httpLog, http, namespace, headers, location, pass].every((i) => i >= 0) &&
    main < events && httpLog < http && namespace < headers && headers < location && location < pass && grpcHeaders;
}
