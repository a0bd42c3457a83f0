#!/usr/bin/env bash
# Instructions per request that the per-Ingress policy adds to a traced NGINX, counted
# by callgrind (deterministic; see bench/README.md, "Per-Ingress policy"). Host nginx
# (1.22 + njs 0.7.9) only, as bench/nginx-instructions.sh, whose method this follows:
# the proxy runs under `valgrind --tool=callgrind --toggle-collect=ngx_process_events_and_timers`
# for N1 and N2 keep-alive requests; (Ir(N2) - Ir(N1)) / (N2 - N1) is one request.
#
#   bash bench/policy-instructions.sh [SCENARIO...]
#
# Every scenario is an ingress-nginx-shaped location (`set $namespace "shop"; set
# $ingress_name "web"; …`, the tracing includes) proxying to a plain nginx upstream:
#   nopolicy      the tracing includes only (the configuration without the feature)
#   policy-miss   + tracing-policy.conf, POLICIES [200] annotated Ingresses in the policy
#                 files; the requested Ingress has no entry (the defaults apply)
#   policy-hit    as policy-miss, and the requested Ingress has an entry for every knob
#                 (set to the defaults, so the request is traced as in nopolicy)
# Environment: N1 [200], N2 [1200], POLICIES [200], OUT [bench/results/policy-instructions-DATE.txt]
# (appended), KEEP=1 keeps the temp dir. Needs valgrind, python3, node (npx tsx).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N1=${N1:-200}
N2=${N2:-1200}
POLICIES=${POLICIES:-200}
OUT=${OUT:-$REPO/bench/results/policy-instructions-$(date +%F).txt}
NGINX=/usr/sbin/nginx
JS_MODULE=/usr/lib/nginx/modules/ngx_http_js_module.so
DEFAULT_SPAN_FILE=/var/log/nginx/njs-tracing-spans.log
SCENARIOS=("$@")
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=(nopolicy policy-miss policy-hit)

die() { echo "policy-instructions: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
command -v valgrind >/dev/null || die "valgrind missing (apt-get install valgrind)"
[[ -x $NGINX && -f $JS_MODULE ]] || die "host nginx/njs missing; run: bash scripts/setup.sh"

TMP=$(mktemp -d /tmp/njs-tracing-policy-instr.XXXXXX)
chmod 755 "$TMP"
UP_PID=""
cleanup() {
  [[ -n $UP_PID ]] && kill -QUIT "$UP_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [[ -z ${KEEP:-} ]]; then rm -rf "$TMP"; else log "kept $TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r UP_PORT PROXY_PORT < <(python3 -c '
import socket
t = [socket.socket() for _ in range(2)]
for s in t: s.bind(("127.0.0.1", 0))
print(t[0].getsockname()[1], t[1].getsockname()[1])')

wait_port() { # port pid
  local i
  for ((i = 0; i < 600; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

mkdir -p "$TMP/up/logs" "$TMP/proxy/logs" "$TMP/proxy/conf" "$TMP/proxy/temp"
cat >"$TMP/up/nginx.conf" <<CONF
master_process off; daemon off; error_log $TMP/up/logs/error.log; pid $TMP/up/nginx.pid;
events {}
http {
    access_log off; keepalive_requests 100000; default_type text/plain;
    client_body_temp_path $TMP/up/logs; proxy_temp_path $TMP/up/logs;
    server { listen 127.0.0.1:$UP_PORT; location / { return 200 "ok\n"; } }
}
CONF
"$NGINX" -p "$TMP/up/" -c "$TMP/up/nginx.conf" >"$TMP/up/logs/stdout" 2>&1 &
UP_PID=$!
wait_port "$UP_PORT" "$UP_PID" || die "upstream did not start"

for f in "$REPO"/nginx-conf/*.conf; do
  sed -e "s#$DEFAULT_SPAN_FILE#$TMP/proxy/logs/spans.log#g" "$f" >"$TMP/proxy/conf/$(basename "$f")"
done
(cd "$REPO" && npx tsx bench/policy-files.ts "$TMP/miss" "$POLICIES" && npx tsx bench/policy-files.ts "$TMP/hit" "$POLICIES" hit)

proxy_conf() { # policy include ("" = none)
  cat <<CONF
load_module $JS_MODULE;
master_process off; daemon off; worker_processes 1;
error_log $TMP/proxy/logs/error.log; pid $TMP/proxy/nginx.pid;
events {}
http {
    js_path "$REPO/njs";
    client_body_temp_path $TMP/proxy/temp; proxy_temp_path $TMP/proxy/temp;
    default_type text/plain;
    keepalive_requests 100000;
    map_hash_bucket_size 64;
    variables_hash_bucket_size 256;
    access_log $TMP/proxy/logs/access.log;
    upstream app { server 127.0.0.1:$UP_PORT; keepalive 16; keepalive_requests 100000; }
    include $TMP/proxy/conf/tracing-http.conf;
    ${1:+include $1;}
    server {
        listen 127.0.0.1:$PROXY_PORT;
        location / {
            set \$namespace      "shop";
            set \$ingress_name   "web";
            set \$service_name   "web";
            set \$service_port   "80";
            set \$location_path  "/";
            include $TMP/proxy/conf/tracing-location.conf;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
    }
}
CONF
}

send() { # n
  python3 - "$PROXY_PORT" "$1" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
for _ in range(n):
    c.request('GET', '/')
    r = c.getresponse()
    assert r.status == 200 and r.read() == b'ok\n', r.status
c.close()
PY
}

measure() { # scenario n
  local out=$TMP/callgrind.$1.$2.out vpid
  : >"$TMP/proxy/logs/spans.log"
  valgrind --tool=callgrind --toggle-collect=ngx_process_events_and_timers --callgrind-out-file="$out" \
    "$NGINX" -p "$TMP/proxy/" -c "$TMP/proxy/nginx.conf" >"$TMP/valgrind.$1.$2.log" 2>&1 &
  vpid=$!
  wait_port "$PROXY_PORT" "$vpid" || die "proxy ($1) did not start: $(tail -5 "$TMP/valgrind.$1.$2.log")"
  send "$2" || { kill -KILL "$vpid"; die "requests failed ($1)"; }
  kill -QUIT "$vpid"
  wait "$vpid" || true
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

{
  echo "=== policy-instructions $(date -Is)"
  echo "command: N1=$N1 N2=$N2 POLICIES=$POLICIES bash bench/policy-instructions.sh ${SCENARIOS[*]}"
  echo "git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)"
  echo "nginx: $("$NGINX" -v 2>&1 | cut -d/ -f2), $(valgrind --version)"
  echo "machine: nproc=$(nproc) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
} >>"$TMP/out"
declare -A PER=()
for sc in "${SCENARIOS[@]}"; do
  case $sc in
    nopolicy) proxy_conf "" ;;
    policy-miss) proxy_conf "$TMP/miss/tracing-policy.conf" ;;
    policy-hit) proxy_conf "$TMP/hit/tracing-policy.conf" ;;
    *) die "unknown scenario '$sc'" ;;
  esac >"$TMP/proxy/nginx.conf"
  "$NGINX" -t -q -p "$TMP/proxy/" -c "$TMP/proxy/nginx.conf" 2>"$TMP/nginx-t.$sc" || die "nginx -t ($sc): $(cat "$TMP/nginx-t.$sc")"
  a=$(measure "$sc" "$N1")
  b=$(measure "$sc" "$N2")
  PER[$sc]=$(((b - a) / (N2 - N1)))
  records=$(wc -l <"$TMP/proxy/logs/spans.log")
  line="$sc: Ir($N1)=$a Ir($N2)=$b per request=${PER[$sc]}, span records in the N2 run: $records"
  log "$line"
  echo "$line" >>"$TMP/out"
done
mkdir -p "$(dirname "$OUT")"
cat "$TMP/out" >>"$OUT"
{
  printf '\n| scenario | instructions/request | minus nopolicy |\n|---|---|---|\n'
  for sc in "${SCENARIOS[@]}"; do
    if [[ -n ${PER[nopolicy]:-} && $sc != nopolicy ]]; then
      printf '| %s | %d | %+d |\n' "$sc" "${PER[$sc]}" $((PER[$sc] - PER[nopolicy]))
    else
      printf '| %s | %d | |\n' "$sc" "${PER[$sc]}"
    fi
  done
} | tee -a "$OUT"
echo >>"$OUT"
echo "appended to ${OUT#"$REPO/"}"
