#!/usr/bin/env bash
# A/B benchmark of njs-tracing inside real NGINX (issue 2, "Benchmark"; see bench/README.md).
#
#   bash bench/nginx-ab.sh [RUNTIME...]     RUNTIME: njs-0.7.9 | njs-1.0 | qjs-1.0 (default: all three)
#
# Per runtime it starts two proxy NGINX instances, each its own master + ONE worker:
#   A  untraced: normal combined access_log to a file, upstream keepalive
#   B  the same + include tracing-http.conf / tracing-location.conf (defaults:
#      100% sampling, W3C, buffered file sink), span records to a real file
# both in front of one trivial upstream: a separate host nginx (1 worker, `return 200`),
# so the upstream's CPU is not charged to either proxy worker. It checks that B really
# traces (headers upstream, records in the span file, upstream keepalive kept), then
# runs wrk alternating A and B per scenario (pairs in the order AB, BA, AB, …) and prints
# medians and the B/A ratio, plus the CPU time the proxy worker spent per request
# (/proc/PID/schedstat; and split into user and kernel time from /proc/PID/stat), which
# stays readable on a noisy shared machine when req/s does not.
# Takes ~3.3 min per runtime with the defaults (~10 min for all three).
#
# Scenarios: default (no incoming context), traceparent (valid incoming W3C header),
# njs (incoming b3 with `set $tracing_extract "w3c,b3"; set $tracing_inject "w3c,b3";`
# and tracing-location-formats.conf: the js_set path, b3 + traceparent sent upstream),
# udp (`set $tracing_sink udp`, records to a socat receiver), realistic (default, but
# the upstream answers a 4 KiB static file instead of "ok\n"). Diagnostics, not run
# by default: off (`set $tracing_enabled off`), nosink (`set $tracing_sink off`),
# jsnoop (default + one trivial js_set in the same VM as tracing.js), njsw3c (incoming
# b3, `set $tracing_extract "w3c,b3";` only: W3C out, no tracing-location-formats.conf),
# floor (calibration, not our includes: the cheapest native tracer of bench/native-floor.conf,
# a traceparent from $request_id and a raw buffered record of the same facts).
#
# Environment knobs (defaults in brackets):
#   ROUNDS [8] A/B pairs per scenario      DURATION [2] seconds per measured wrk run
#   WARMUP [1] seconds of warm-up per instance and scenario
#   CONNECTIONS [32]  THREADS [1]          SCENARIOS ["default traceparent njs udp realistic"]
#   NJS_TRACING_SID_ROOT [/var/cache/njs-tracing/sid-root]
#   OUT [bench/results/nginx-ab-DATE.txt] raw per-run numbers and summaries (appended)
#   PCRE_JIT [unset] on|off: `pcre_jit` in both proxies (nginx's default is off)
#   PIN [1] the proxy worker under test (A or B, one runs at a time) on CPU 1, wrk and the
#      upstream on CPU 0: the worker under test is then the bottleneck (~100% of its core),
#      so B/A is the ratio of the proxy's capacity. PIN=0: no pinning (the scheduler shares
#      the 2 cores among wrk, the upstream and the worker; the worker is then not the
#      bottleneck and a faster worker idles more, which inflates its kernel time per
#      request: on 2026-12-01 this made B look faster than A; bench/README.md)
#   ORDER [abba] pairs alternate AB, BA, …; ORDER=ab always runs A first
#   AA [unset] 1: B is configured exactly as A (no tracing): the ratios then show the
#      harness's own bias and noise on this machine
#   KEEP=1 keeps the temp prefixes (configs, logs) for inspection
# Needs root (chroot for the sid runtimes, `user www-data`), wrk, socat (installed with
# apt-get if missing), curl, and the runtimes from scripts/setup.sh. Not run in CI.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SID_ROOT=${NJS_TRACING_SID_ROOT:-/var/cache/njs-tracing/sid-root}
ROUNDS=${ROUNDS:-8}
PIN=${PIN:-1}
ORDER=${ORDER:-abba}
DURATION=${DURATION:-2}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
SCENARIOS=${SCENARIOS:-"default traceparent njs udp realistic"}
OUT=${OUT:-$REPO/bench/results/nginx-ab-$(date +%F).txt}
NGINX=/usr/sbin/nginx
JS_MODULE=/usr/lib/nginx/modules/ngx_http_js_module.so
# Written literally in nginx-conf/*.conf; pointed at this run's files/receiver.
DEFAULT_SPAN_FILE=/var/log/nginx/njs-tracing-spans.log
DEFAULT_SYSLOG=127.0.0.1:5140

# Incoming headers per scenario (same request to A and B).
TRACEPARENT='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
B3='80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1'

# shellcheck source=bench/matrix.sh
source "$REPO/bench/matrix.sh"
[[ -z ${MATRIX:-} ]] || SCENARIOS=$MATRIX_ROWS

RUNTIMES=("$@")
[[ ${#RUNTIMES[@]} -gt 0 ]] || RUNTIMES=(njs-0.7.9 njs-1.0 qjs-1.0)

die() { echo "nginx-ab: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }

[[ $(id -u) -eq 0 ]] || die "run as root (chroot for the sid runtimes, user www-data)"
command -v wrk >/dev/null || die "wrk missing (apt-get install wrk)"
command -v curl >/dev/null || die "curl missing"
if ! command -v socat >/dev/null; then
  log "installing socat (UDP syslog receiver)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat >/dev/null || die "could not install socat"
fi
[[ -x $NGINX && -f $JS_MODULE ]] || die "host nginx/njs missing; run: bash scripts/setup.sh"
for rt in "${RUNTIMES[@]}"; do
  case $rt in
    njs-0.7.9) ;;
    njs-1.0|qjs-1.0) [[ -x $SID_ROOT$NGINX && -f $SID_ROOT$JS_MODULE ]] || die "no sid root at $SID_ROOT; run: bash scripts/setup.sh" ;;
    *) die "unknown runtime '$rt' (njs-0.7.9, njs-1.0, qjs-1.0)" ;;
  esac
done
[[ -f $REPO/njs/tracing.js && -f $REPO/nginx-conf/tracing-http.conf ]] || die "njs/tracing.js or nginx-conf missing (npm run build)"

# ---------------------------------------------------------------------------
# processes and temp dirs, cleaned up on exit
PIDS=()
DIRS=()
cleanup() {
  local pid i
  for pid in "${PIDS[@]}"; do kill -QUIT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
  if [[ -z ${KEEP:-} ]]; then
    for d in "${DIRS[@]}"; do rm -rf "$d"; done
  else
    for d in "${DIRS[@]}"; do log "kept $d"; done
  fi
  DIRS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# N free TCP ports, or one free UDP port with "udp".
free_ports() {
  node -e '
    const net = require("net"), dgram = require("dgram");
    const n = Number(process.argv[1]);
    if (process.argv[2] === "udp") {
      const s = dgram.createSocket("udp4");
      s.bind(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
    } else {
      Promise.all(Array.from({ length: n }, () => new Promise((ok) => {
        const s = net.createServer(); s.listen(0, "127.0.0.1", () => ok(s));
      }))).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });
    }' "$@"
}

wait_port() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 200; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Start nginx from a host-side prefix; $1 runtime root ("" for host), $2 prefix (host path).
# Sets NGINX_PID (the master).
start_nginx() {
  local root=$1 prefix=$2 inner=${2#"$1"}
  local -a cmd=("$NGINX")
  [[ -n $root ]] && cmd=(chroot "$root" "$NGINX")
  "${cmd[@]}" -t -q -p "$inner/" -c "$inner/conf/nginx.conf" >"$prefix/logs/nginx-t.out" 2>&1 ||
    { cat "$prefix/logs/nginx-t.out" >&2; die "nginx -t failed for $prefix"; }
  "${cmd[@]}" -p "$inner/" -c "$inner/conf/nginx.conf" >"$prefix/logs/stdout" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
}

# mkdir a prefix (conf js logs temp) under $1 (a temp base dir); sets PREFIX (host path).
make_prefix() {
  PREFIX=$(mktemp -d "$1/njs-tracing-bench-$2.XXXXXX")
  DIRS+=("$PREFIX")
  chmod 755 "$PREFIX"
  mkdir -p "$PREFIX"/{conf,js,logs,temp}
}

main_conf() { # inner-prefix error-log-level [cpu-mask for worker_cpu_affinity when PIN=1]
  cat <<EOF
load_module $JS_MODULE;
user www-data;
daemon off;
master_process on;
worker_processes 1;
${PCRE_JIT:+pcre_jit $PCRE_JIT;}
$([[ ${PIN:-} == 1 ]] && echo "worker_cpu_affinity ${3:-10};")
error_log $1/logs/error.log ${2:-notice};
pid $1/nginx.pid;
events { worker_connections 4096; }
EOF
}

# The trivial upstream: host nginx, one worker, no access log.
# /tp (any path ending in /tp) shows what the proxy sent, for the checks;
# /realistic/ answers a 4 KiB static file (scenario realistic).
start_upstream() {
  local prefix i
  make_prefix /tmp upstream
  prefix=$PREFIX
  UPSTREAM_PORT=$(free_ports 1)
  mkdir -p "$prefix/www"
  # 4096 bytes of text: 64 lines of 63 characters + newline
  for ((i = 0; i < 64; i++)); do printf '%063d\n' "$i"; done | tr 0 x >"$prefix/www/4k.txt"
  {
    main_conf "$prefix" warn 01
    cat <<EOF
http {
    client_body_temp_path $prefix/temp/client_body;
    proxy_temp_path $prefix/temp/proxy;
    fastcgi_temp_path $prefix/temp/fastcgi;
    uwsgi_temp_path $prefix/temp/uwsgi;
    scgi_temp_path $prefix/temp/scgi;
    access_log off;
    default_type text/plain;
    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        location / { return 200 "ok\n"; }
        location /realistic/ { root $prefix/www; try_files /4k.txt =404; }
        location ~ /tp\$ {
            return 200 "tp=\$http_traceparent b3=\$http_b3 conn=\$http_connection reqs=\$connection_requests\n";
        }
    }
}
EOF
  } >"$prefix/conf/nginx.conf"
  start_nginx "" "$prefix"
  UPSTREAM_PID=$NGINX_PID
  UPSTREAM_PREFIX=$prefix
  wait_port "$UPSTREAM_PORT" "$UPSTREAM_PID" || die "upstream did not start: $(cat "$prefix/logs/error.log")"
}

# Proxy config. $1 variant A|B, $2 inner prefix, $3 port, $4 http prelude (js_engine).
proxy_conf() {
  local variant=$1 p=$2 port=$3 prelude=$4 trace="" njs="" njsw3c="" udp="" off="" nosink="" jsnoop="" realistic="" floor="" name knobs
  if [[ $variant == B && -z ${AA:-} ]]; then
    trace="include tracing-location.conf;"
    # A deployment that takes b3 in sends it on too: the B3/Jaeger header lines are in
    # the add-on include (it sets \$tracing__headers all), which also strips distrusted ones.
    njs='set $tracing_extract "w3c,b3"; set $tracing_inject "w3c,b3"; include tracing-location-formats.conf;'
    njsw3c='set $tracing_extract "w3c,b3";'
    udp='set $tracing_sink udp;'
    off='set $tracing_enabled off;'
    nosink='set $tracing_sink off;'
    jsnoop='proxy_set_header X-Bench-Noop $bench_noop;'
    # calibration: the cheapest native tracer (bench/native-floor.conf), without our includes
    floor="proxy_set_header traceparent \"00-\$request_id-00f067aa0ba902b7-01\"; access_log $p/logs/access.log; access_log $p/logs/spans.log bench_floor buffer=64k flush=1s;"
  fi
  main_conf "$p"
  cat <<EOF
http {
    $prelude
    js_path "$p/js";
    client_body_temp_path $p/temp/client_body;
    proxy_temp_path $p/temp/proxy;
    fastcgi_temp_path $p/temp/fastcgi;
    uwsgi_temp_path $p/temp/uwsgi;
    scgi_temp_path $p/temp/scgi;
    default_type text/plain;
    # As a real deployment has: the default combined format, unbuffered.
    access_log $p/logs/access.log;
    upstream app {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 16;
    }
$([[ $variant == B && -z ${AA:-} ]] && printf '    include tracing-http.conf;\n    include native-floor.conf;')
$([[ $variant == B && -z ${AA:-} && " $SCENARIOS " == *" jsnoop "* ]] &&
  printf '    js_import bench_noop from bench-noop.js;\n    js_set $bench_noop bench_noop.noop;')
    server {
        listen 127.0.0.1:$port;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        # tracing-location.conf has proxy_set_header lines, so the server-level
        # one is not inherited: each location repeats it (same lines in A and B).
        location / {
            $trace
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
$(for name in njs udp realistic off nosink jsnoop njsw3c floor $MATRIX_ROWS $EXTRA_ROWS; do
  [[ $name != jsnoop || " $SCENARIOS " == *" jsnoop "* ]] || continue
  if [[ $name == m-* ]]; then knobs=""; [[ -n $trace ]] && knobs=$(matrix_knobs "$name"); else knobs=${!name}; fi
  cat <<LOC
        location /$name/ {
            $knobs
            $([[ $name == floor ]] || echo "$trace")
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
LOC
done)
    }
}
EOF
}

# Sets PREFIX_A/B (host paths), PORT_A/B, PID_A/B, SPANS (host path), UDP_PORT, UDP_FILE.
start_proxies() {
  local rt=$1 root="" base=/tmp prelude="" v prefix inner pid ports
  case $rt in
    njs-1.0) root=$SID_ROOT; prelude="js_engine njs;" ;;
    qjs-1.0) root=$SID_ROOT; prelude="js_engine qjs;" ;;
  esac
  [[ -n $root ]] && base=$root/tmp
  read -r PORT_A PORT_B <<<"$(free_ports 2)"
  UDP_PORT=$(free_ports 1 udp)
  for v in A B; do
    make_prefix "$base" "$rt-$v"
    prefix=$PREFIX
    inner=${prefix#"$root"}
    if [[ $v == B ]]; then
      cp "$REPO/bench/native-floor.conf" "$prefix/conf/"
      cp "$REPO"/njs/*.js "$prefix/js/"
      # diagnostic scenario jsnoop: the cheapest possible js_set, in the same VM as tracing.js
      printf 'function noop(r) { return "1"; }\nexport default { noop };\n' >"$prefix/js/bench-noop.js"
      for f in "$REPO"/nginx-conf/*.conf; do
        sed -e "s#$DEFAULT_SPAN_FILE#$inner/logs/spans.log#g" -e "s#$DEFAULT_SYSLOG#127.0.0.1:$UDP_PORT#g" \
          "$f" >"$prefix/conf/$(basename "$f")"
      done
      grep -q "$inner/logs/spans.log" "$prefix/conf/tracing-http.conf" || die "span file path not rewritten"
      grep -q "127.0.0.1:$UDP_PORT" "$prefix/conf/tracing-http.conf" || die "syslog address not rewritten"
    fi
    local port_var=PORT_$v
    proxy_conf "$v" "$inner" "${!port_var}" "$prelude" >"$prefix/conf/nginx.conf"
    start_nginx "$root" "$prefix"
    pid=$NGINX_PID
    wait_port "${!port_var}" "$pid" || die "proxy $v ($rt) did not start: $(tail -5 "$prefix/logs/error.log")"
    printf -v "PREFIX_$v" %s "$prefix"
    printf -v "PID_$v" %s "$pid"
    printf -v "WPID_$v" %s "$(pgrep -P "$pid" | head -1)"
  done
  [[ -n $WPID_A && -n $WPID_B ]] || die "no worker process found for A or B"
  SPANS=$PREFIX_B/logs/spans.log
  UDP_FILE=$PREFIX_B/logs/udp-records.raw
  : >"$UDP_FILE"
  socat -u "UDP-RECV:$UDP_PORT,bind=127.0.0.1,rcvbuf=4194304" "OPEN:$UDP_FILE,creat,append" &
  UDP_PID=$!
  PIDS+=("$UDP_PID")
  sleep 0.2
  kill -0 "$UDP_PID" 2>/dev/null || die "socat receiver did not start on udp $UDP_PORT"
}

stop_proxies() {
  local pid keep=()
  for pid in "$PID_A" "$PID_B"; do kill -QUIT "$pid" 2>/dev/null || true; done
  kill -TERM "$UDP_PID" 2>/dev/null || true
  for pid in "$PID_A" "$PID_B" "$UDP_PID"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do [[ $pid == "$PID_A" || $pid == "$PID_B" || $pid == "$UDP_PID" ]] || keep+=("$pid"); done
  PIDS=("${keep[@]}")
}

# Records in the span file / the UDP capture.
count_file_records() { [[ -s $SPANS ]] && wc -l <"$SPANS" || echo 0; }
count_udp_records() { grep -aoE 'njs_tracing: \{"v":[0-9]+,' "$UDP_FILE" | wc -l || true; }

# ---------------------------------------------------------------------------
# Checks before measuring: B traces (headers upstream, records), keepalive kept, A untraced.
check_proxies() {
  local rt=$1 a b out n
  a=http://127.0.0.1:$PORT_A b=http://127.0.0.1:$PORT_B
  out=$(curl -fsS "$a/tp")
  [[ $out == "tp= b3= conn= "* ]] || die "$rt A: unexpected upstream view: $out"
  if [[ -n ${AA:-} ]]; then
    out=$(curl -fsS "$b/tp")
    [[ $out == "tp= b3= conn= "* ]] || die "$rt B (AA=1): unexpected upstream view: $out"
    log "$rt: checks ok (AA=1: A and B both untraced)"
    return
  fi
  out=$(curl -fsS "$b/tp")
  [[ $out =~ ^tp=00-[0-9a-f]{32}-[0-9a-f]{16}-03\ b3=\ conn=\  ]] || die "$rt B default: no new traceparent upstream: $out"
  out=$(curl -fsS -H "traceparent: $TRACEPARENT" "$b/tp")
  [[ $out == "tp=00-4bf92f3577b34da6a3ce929d0e0e4736-"*"-01 b3= conn= "* ]] || die "$rt B traceparent: context not continued: $out"
  [[ $out != *00f067aa0ba902b7* ]] || die "$rt B traceparent: parent span id sent unchanged: $out"
  out=$(curl -fsS -H "b3: $B3" "$b/njs/tp")
  [[ $out =~ ^tp=00-80f198ee56343ba864fe8b2a57d3eff7-([0-9a-f]{16})-01\ b3=80f198ee56343ba864fe8b2a57d3eff7-([0-9a-f]{16})-1-[0-9a-f]{16}\ conn=\  ]] ||
    die "$rt B njs: b3 not extracted (njs path not taken?) or not injected as traceparent + b3: $out"
  [[ ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" && ${BASH_REMATCH[1]} != e457b5a2e4d86bd1 ]] ||
    die "$rt B njs: traceparent and b3 upstream should carry the same new span id: $out"
  out=$(curl -fsS "$b/realistic/")
  ((${#out} == 4095)) || die "$rt B realistic: expected the 4 KiB file, got ${#out} bytes" # $(...) drops the last newline
  out=$(curl -fsS "$b/udp/tp")
  [[ $out =~ ^tp=00-[0-9a-f]{32} ]] || die "$rt B udp: no traceparent upstream: $out"
  # upstream keepalive: several requests through B reuse one upstream connection
  out=$(for _ in 1 2 3 4 5; do curl -fsS "$b/tp"; done)
  grep -Eq 'reqs=([2-9]|[1-9][0-9]+)$' <<<"$out" || die "$rt B: upstream keepalive not used:"$'\n'"$out"
  sleep 1.5 # flush=1s of the buffered span log
  n=$(count_file_records)
  ((n >= 8)) || die "$rt B: $n records in $SPANS after 9 file-sink requests"
  # read as the sidecar reads them (record version 2 joins the ids and err into one field)
  out=$(cd "$REPO" && npx tsx bench/record-check.ts "$SPANS")
  grep -q '^4bf92f3577b34da6a3ce929d0e0e4736 ' <<<"$out" || die "$rt B: no record for the incoming traceparent"
  grep -q '^80f198ee56343ba864fe8b2a57d3eff7 ' <<<"$out" || die "$rt B: no record for the b3 (njs) request"
  if grep -qv ' -$' <<<"$out"; then die "$rt B: records carry an error or are malformed: $(grep -v ' -$' <<<"$out" | sort | uniq -c | head -3)"; fi
  n=$(count_udp_records)
  ((n >= 1)) || die "$rt B: no record reached the UDP receiver"
  log "$rt: checks ok (B injects traceparent, writes file + UDP records, keeps upstream keepalive; A untraced)"
  : >"$SPANS"; : >"$UDP_FILE"
}

# ---------------------------------------------------------------------------
# wrk run -> "rps p50_ms p99_ms requests non2xx socket_errors"
to_ms='function ms(v) { if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000;
  if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0; if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000;
  if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000; return v }'
run_wrk() { # seconds url [headers, one per line]
  local secs=$1 url=$2 hdr=${3:-} out line
  local -a h=()
  while IFS= read -r line; do [[ -n $line ]] && h+=(-H "$line"); done <<<"$hdr"
  local -a pin=()
  [[ ${PIN:-} == 1 ]] && pin=(taskset -c 0)
  out=$("${pin[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency "${h[@]}" "$url" 2>&1) || { echo "$out" >&2; die "wrk failed"; }
  awk "$to_ms"'
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    / requests in / { req = $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%s %.3f %.3f %s %d %d\n", rps, p50, p99, req, bad, err }' <<<"$out"
}

scenario_url() { # scenario port
  case $1 in
    default|traceparent) echo "http://127.0.0.1:$2/" ;;
    njs|udp|realistic|off|nosink|jsnoop|njsw3c|floor|m-*) echo "http://127.0.0.1:$2/$1/" ;;
    *) die "unknown scenario '$1' (default traceparent njs udp realistic off nosink jsnoop njsw3c floor)" ;;
  esac
}
scenario_header() {
  case $1 in
    traceparent) echo "traceparent: $TRACEPARENT" ;;
    njs|njsw3c) echo "b3: $B3" ;;
    m-*) matrix_headers "$1" ;;
    *) echo "" ;;
  esac
}
scenario_what() {
  case $1 in
    default) echo "no incoming context, native path, file sink" ;;
    traceparent) echo "valid incoming traceparent, native path, file sink" ;;
    njs) echo 'incoming b3, $tracing_extract/$tracing_inject "w3c,b3" + tracing-location-formats.conf: one js_set per request, file sink' ;;
    udp) echo 'set $tracing_sink udp: one syslog datagram per request to socat' ;;
    realistic) echo 'as default, but the upstream answers a 4 KiB static file' ;;
    off) echo 'diagnostic: includes loaded, set $tracing_enabled off' ;;
    nosink) echo 'diagnostic: set $tracing_sink off (context + headers, no record)' ;;
    jsnoop) echo 'diagnostic: default + one trivial js_set (returns "1") sent upstream' ;;
    njsw3c) echo 'diagnostic: incoming b3, set $tracing_extract "w3c,b3" only (W3C out, no formats include)' ;;
    floor) echo 'calibration: the cheapest native tracer (bench/native-floor.conf): traceparent from $request_id + raw buffered record' ;;
    m-*) matrix_what "$1" ;;
  esac
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

RAW=$(mktemp /tmp/njs-tracing-bench-raw.XXXXXX)
DIRS+=("$RAW")
SUMMARY=()

# CPU time (ns) a process has used, from /proc/PID/schedstat.
cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }

# records counted for the previous B run once its buffer is flushed (after the next A run)
count_records() { # scenario
  if [[ $1 == udp ]]; then count_udp_records; else count_file_records; fi
}

# User and kernel CPU time (clock ticks) a process has used, from /proc/PID/stat.
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
per_request_us() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) * 1e6 / hz / n }'; }
# One measured run of variant A or B; appends its RUN line to $RAW (B's records
# are counted when the span file is next needed, once nginx's buffer is flushed).
run_variant() { # runtime scenario pair variant url headers
  local rt=$1 sc=$2 pair=$3 v=$4 url=$5 hdr=$6 wpid res cpu0 cpu1 ut0 st0 ut1 st1 cpu user sys line
  wpid=WPID_$v
  : >"$PREFIX_A/logs/access.log"
  if [[ $v == B ]]; then
    flush_pending "$sc"
    : >"$PREFIX_B/logs/access.log"; : >"$SPANS"; : >"$UDP_FILE"
  fi
  cpu0=$(cpu_ns "${!wpid}")
  read -r ut0 st0 <<<"$(cpu_ticks "${!wpid}")"
  res=$(run_wrk "$DURATION" "$url" "$hdr")
  cpu1=$(cpu_ns "${!wpid}")
  read -r ut1 st1 <<<"$(cpu_ticks "${!wpid}")"
  read -r rps p50 p99 req bad err <<<"$res"
  cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$req" 'BEGIN { printf "%.2f", (b - a) / 1000 / n }')
  user=$(per_request_us "$ut0" "$ut1" "$req") sys=$(per_request_us "$st0" "$st1" "$req")
  line="RUN runtime=$rt scenario=$sc pair=$pair variant=$v rps=$rps p50_ms=$p50 p99_ms=$p99 cpu_us=$cpu user_us=$user sys_us=$sys requests=$req non2xx=$bad sockerr=$err records=?"
  if [[ $v == B ]]; then PENDING=$line; else echo "${line/records=?/records=-}" >>"$RAW"; fi
  log "  pair $pair $v: $rps req/s p50 ${p50}ms p99 ${p99}ms, worker ${cpu} us CPU/request (user $user, kernel $sys)"
  ((bad == 0 && err == 0)) || log "  WARNING: $bad non-2xx responses, $err socket errors"
}
# Writes the pending B line with the records its run left in the span file / UDP capture.
flush_pending() { # scenario
  [[ -n $PENDING ]] || return 0
  echo "${PENDING/records=?/records=$(count_records "$1")}" >>"$RAW"
  PENDING=""
}
run_scenario() {
  local rt=$1 sc=$2 url_a url_b hdr pair v order
  url_a=$(scenario_url "$sc" "$PORT_A") url_b=$(scenario_url "$sc" "$PORT_B") hdr=$(scenario_header "$sc")
  log "$rt / $sc: $(scenario_what "$sc")"
  run_wrk "$WARMUP" "$url_a" "$hdr" >/dev/null
  run_wrk "$WARMUP" "$url_b" "$hdr" >/dev/null
  PENDING=""
  for ((pair = 1; pair <= ROUNDS; pair++)); do
    # ABBA: whichever runs second in a pair meets a machine warmed by the first.
    order="A B"
    [[ $ORDER == abba && $((pair % 2)) == 0 ]] && order="B A"
    for v in $order; do
      if [[ $v == A ]]; then run_variant "$rt" "$sc" "$pair" A "$url_a" "$hdr"; else run_variant "$rt" "$sc" "$pair" B "$url_b" "$hdr"; fi
    done
  done
  sleep 1.5 # flush=1s of the buffered span log
  flush_pending "$sc"
  summarise "$rt" "$sc"
}
field() { grep -o " $1=[^ ]*" | cut -d= -f2; }
summarise() {
  local rt=$1 sc=$2 lines a b ratios rps_a rps_b ratio rmin p50a p50b p99a p99b recs reqs cpua cpub usera userb sysa sysb
  lines=$(grep " runtime=$rt scenario=$sc " "$RAW")
  a=$(grep ' variant=A ' <<<"$lines") b=$(grep ' variant=B ' <<<"$lines")
  rps_a=$(field rps <<<"$a" | median) rps_b=$(field rps <<<"$b" | median)
  ratios=$(paste <(field rps <<<"$a") <(field rps <<<"$b") | awk '{ printf "%.4f\n", $2 / $1 }')
  ratio=$(median <<<"$ratios") rmin=$(sort -g <<<"$ratios" | head -1)
  p50a=$(field p50_ms <<<"$a" | median) p50b=$(field p50_ms <<<"$b" | median)
  p99a=$(field p99_ms <<<"$a" | median) p99b=$(field p99_ms <<<"$b" | median)
  cpua=$(field cpu_us <<<"$a" | median) cpub=$(field cpu_us <<<"$b" | median)
  usera=$(field user_us <<<"$a" | median) userb=$(field user_us <<<"$b" | median)
  sysa=$(field sys_us <<<"$a" | median) sysb=$(field sys_us <<<"$b" | median)
  reqs=$(field requests <<<"$b" | awk '{ s += $1 } END { print s }')
  recs=$(field records <<<"$b" | awk '{ s += $1 } END { print s }')
  line=$(printf '| %s | %s | %.0f | %.0f | %.3f | %.3f | %.2f / %.2f | %.2f / %.2f | %.1f / %.1f | %.3f | %.1f / %.1f | %.1f / %.1f | %s/%s |' \
    "$rt" "$sc" "$rps_a" "$rps_b" "$ratio" "$rmin" "$p50a" "$p50b" "$p99a" "$p99b" "$cpua" "$cpub" \
    "$(awk -v a="$cpua" -v b="$cpub" 'BEGIN { print a / b }')" "$usera" "$userb" "$sysa" "$sysb" "$recs" "$reqs")
  SUMMARY+=("$line")
  echo "SUMMARY $line pair_ratios=$(paste -sd, <<<"$ratios")" >>"$RAW"
  log "$rt / $sc: A $rps_a req/s, B $rps_b req/s, B/A median $ratio (min $rmin); worker CPU/request A $cpua us, B $cpub us; records/requests of B $recs/$reqs"
}

error_lines() { # prefix label: error.log plus nginx's stderr (start-up warnings land there)
  local logs n w
  logs=$(cat "$1/logs/error.log" "$1/logs/stdout" 2>/dev/null || true)
  n=$(grep -cE '\[(error|crit|alert|emerg)\]' <<<"$logs" || true)
  w=$(grep -c '\[warn\]' <<<"$logs" || true)
  echo "ERRORLOG $2: $n [error]/[crit]/[alert]/[emerg] lines, $w [warn] lines" >>"$RAW"
  if ((n + w > 0)); then
    grep -E '\[(warn|error|crit|alert|emerg)\]' <<<"$logs" | sed -E 's/^[0-9/: ]+//; s/[0-9]+#[0-9]+: (\*[0-9]+ )?//' |
      sort | uniq -c | sort -rn | head -5 | sed "s/^/ERRORLOG $2:   /" >>"$RAW"
  fi
  ((n == 0)) || log "WARNING: $n error lines in $2 error.log"
}

# ---------------------------------------------------------------------------
START=$(date +%s)
{
  echo "=== nginx-ab $(date -Is)"
  echo "command: ${MATRIX:+MATRIX=1 }${PCRE_JIT:+PCRE_JIT=$PCRE_JIT }${AA:+AA=1 }PIN=$PIN ORDER=$ORDER SCENARIOS=\"$SCENARIOS\" ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS THREADS=$THREADS bash bench/nginx-ab.sh ${RUNTIMES[*]}"
  echo "git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet -- njs nginx-conf 2>/dev/null || echo ' (njs/ or nginx-conf/ modified)')"
  echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\" kernel=$(uname -r) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
  echo "wrk: -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, warm-up ${WARMUP}s per instance and scenario; upstream: separate host nginx 1 worker, return 200 (realistic: 4 KiB static file)"
} >>"$RAW"

start_upstream
log "upstream: host nginx on 127.0.0.1:$UPSTREAM_PORT (pid $UPSTREAM_PID)"
for rt in "${RUNTIMES[@]}"; do
  start_proxies "$rt"
  log "$rt: A on :$PORT_A (pid $PID_A), B on :$PORT_B (pid $PID_B), UDP receiver :$UDP_PORT"
  echo "RUNTIME $rt version=\"$(curl -sI "http://127.0.0.1:$PORT_A/" | tr -d '\r' | awk -F': ' 'tolower($1) == "server" { print $2 }')\"" >>"$RAW"
  check_proxies "$rt"
  for sc in $SCENARIOS; do run_scenario "$rt" "$sc"; done
  stop_proxies
  error_lines "$PREFIX_A" "$rt-A"
  error_lines "$PREFIX_B" "$rt-B"
done
error_lines "$UPSTREAM_PREFIX" upstream
echo "elapsed: $(($(date +%s) - START))s, load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW"

mkdir -p "$(dirname "$OUT")"
cat "$RAW" >>"$OUT"
echo >>"$OUT"
{
  echo
  echo "| runtime | scenario | A req/s | B req/s | B/A (median of pairs) | worst pair | p50 ms A / B | p99 ms A / B | worker CPU us/req A / B | CPU A/B | user us/req A / B | kernel us/req A / B | B records/requests |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${SUMMARY[@]}"
  echo
  grep '^ERRORLOG' "$RAW" || true
  echo "raw runs appended to ${OUT#"$REPO/"} ($(($(date +%s) - START)) s)"
}
