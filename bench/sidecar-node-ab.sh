#!/usr/bin/env bash
# A/B benchmark of the whole node as deployed: NGINX and the sidecar on the same cores.
#
#   bash bench/sidecar-node-ab.sh
#
#   A  untraced NGINX: combined access_log, upstream keepalive, worker_processes 2
#   B  the same + tracing-http.conf / tracing-location.conf (defaults: 100% sampling,
#      W3C, buffered file sink) AND the sidecar (bin/njs-tracing-sidecar.js, built
#      bundle) following the span file with its checkpoint, exporting OTLP/HTTP to a
#      receiver that answers 200 without decoding (the backend lives elsewhere in a
#      real deployment; this one is kept as cheap as possible)
# in front of one trivial upstream (a separate host nginx, `return 200`). Everything,
# wrk included, shares the machine's cores, as on a Kubernetes node. wrk runs
# alternate A, B, A, B…; after each B run the script waits until the sidecar has
# exported every record on disk (so its catch-up work never lands in an A run) and
# notes how far behind it was. Prints medians, the B/A ratio per pair, and the
# sidecar's CPU time per record.
#
# SIDECAR [full] picks what follows the span file in B, to measure the floor of the cost:
#   full   the sidecar as deployed (with the chart's NODE_OPTIONS heap cap)
#   parse  bench/sidecar-floor.ts: the sidecar's file reader + JSON.parse of each line, nothing else
#   read   bench/sidecar-floor.ts: the sidecar's file reader alone (lines split, then dropped)
# B/A counts only the wrk window; "B/A incl. catch-up" also charges the CPU the sidecar spent
# after the window (reading the rest NGINX flushed, exporting the last batches) to B, as time
# the node's cores would have been busy (cpu / nproc): work deferred past the window is not free.
#
# Environment knobs (defaults in brackets):
#   SIDECAR [full]  SIDECAR_NODE_OPTIONS [the chart's: --max-old-space-size=128]
#   ROUNDS [6] A/B pairs   DURATION [5] seconds per wrk run   WARMUP [2] seconds per instance
#   CONNECTIONS [32]  THREADS [1]  WORKERS [2] nginx worker_processes of A and B
#   OUT [bench/results/sidecar-node-ab-DATE.txt] (appended)  KEEP=1 keeps the temp prefixes
# Host nginx + njs (njs-0.7.9) only. Needs root (user www-data), wrk, curl, node.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIDECAR=${SIDECAR:-full}
SIDECAR_NODE_OPTIONS=${SIDECAR_NODE_OPTIONS---max-old-space-size=128}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-2}
OUT=${OUT:-$REPO/bench/results/sidecar-node-ab-$(date +%F).txt}
NGINX=/usr/sbin/nginx
JS_MODULE=/usr/lib/nginx/modules/ngx_http_js_module.so
DEFAULT_SPAN_FILE=/var/log/nginx/njs-tracing-spans.log

die() { echo "sidecar-node-ab: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }

[[ $(id -u) -eq 0 ]] || die "run as root (user www-data)"
command -v wrk >/dev/null || die "wrk missing (apt-get install wrk)"
command -v curl >/dev/null || die "curl missing"
[[ -x $NGINX && -f $JS_MODULE ]] || die "host nginx/njs missing; run: bash scripts/setup.sh"
[[ -f $REPO/njs/tracing.js ]] || die "njs/tracing.js missing (npm run build)"
(cd "$REPO" && node scripts/build-sidecar.mjs >/dev/null) || die "could not build dist/sidecar.js"

PIDS=()
BASE=$(mktemp -d /tmp/njs-tracing-node-ab.XXXXXX)
chmod 755 "$BASE"
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -z ${KEEP:-} ]]; then rm -rf "$BASE"; else log "kept $BASE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'; }
wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  die "nothing listens on port $1"
}

# $1 name, $2 port, $3 worker_processes, $4 extra http lines, $5 location lines
nginx_instance() {
  local p=$BASE/$1
  mkdir -p "$p"/{conf,js,logs,temp}
  cat >"$p/conf/nginx.conf" <<EOF
load_module $JS_MODULE;
user www-data;
daemon off;
worker_processes $3;
error_log $p/logs/error.log warn;
pid $p/nginx.pid;
events { worker_connections 4096; }
http {
    js_path "$p/js";
    client_body_temp_path $p/temp/client_body;
    proxy_temp_path $p/temp/proxy;
    default_type text/plain;
    $4
    server {
        listen 127.0.0.1:$2;
        location / { $5 }
    }
}
EOF
  chown -R www-data "$p/logs" "$p/temp"
  "$NGINX" -p "$p/" -c "$p/conf/nginx.conf" >"$p/logs/stdout" 2>&1 &
  PIDS+=($!)
  wait_port "$2"
}

UPSTREAM_PORT=$(free_port)
nginx_instance upstream "$UPSTREAM_PORT" 1 'access_log off;' 'return 200 "ok\n";'

PROXY='upstream app { server 127.0.0.1:'$UPSTREAM_PORT'; keepalive 16; }
    access_log $P/logs/access.log;
    proxy_http_version 1.1;'
PORT_A=$(free_port)
nginx_instance A "$PORT_A" "$WORKERS" "${PROXY//\$P/$BASE/A}" 'proxy_set_header Connection ""; proxy_pass http://app;'

mkdir -p "$BASE/B/conf" "$BASE/B/js"
cp "$REPO"/njs/*.js "$BASE/B/js/"
for f in "$REPO"/nginx-conf/*.conf; do sed "s#$DEFAULT_SPAN_FILE#$BASE/B/logs/spans.log#g" "$f" >"$BASE/B/conf/$(basename "$f")"; done
PORT_B=$(free_port)
nginx_instance B "$PORT_B" "$WORKERS" "${PROXY//\$P/$BASE/B}
    include tracing-http.conf;" 'include tracing-location.conf; proxy_set_header Connection ""; proxy_pass http://app;'
SPANS=$BASE/B/logs/spans.log

# The OTLP backend stand-in: reads each request and answers 200, nothing else.
RECEIVER_PORT=$(free_port)
node -e 'require("http").createServer((q, s) => { q.resume(); q.on("end", () => s.writeHead(200, { "content-type": "application/x-protobuf" }).end()); }).listen(Number(process.argv[1]), "127.0.0.1");' "$RECEIVER_PORT" &
PIDS+=($!)
wait_port "$RECEIVER_PORT"

METRICS_PORT=$(free_port)
case $SIDECAR in
  full) SIDECAR_CMD=("$REPO/bin/njs-tracing-sidecar.js") ;;
  read | parse) SIDECAR_CMD=(--import tsx "$REPO/bench/sidecar-floor.ts" "$SIDECAR") ;;
  *) die "SIDECAR=$SIDECAR: expected full, parse or read" ;;
esac
# NGINX creates the span file at its first request; the floor reader starts at its end.
curl -sf "http://127.0.0.1:$PORT_B/" >/dev/null || die "B does not answer"
sleep 1.2
(cd "$REPO" && exec env -i PATH="$PATH" NODE_OPTIONS="$SIDECAR_NODE_OPTIONS" NJS_TRACING_FILE="$SPANS" NJS_TRACING_UDP_ADDRESS= \
  NJS_TRACING_METRICS_ADDRESS="127.0.0.1:$METRICS_PORT" OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:$RECEIVER_PORT/v1/traces" \
  NJS_TRACING_LOG_LEVEL=warn node "${SIDECAR_CMD[@]}") >"$BASE/sidecar.log" 2>&1 &
SIDECAR_PID=$!
PIDS+=("$SIDECAR_PID")
wait_port "$METRICS_PORT"

metric() { curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" { s += $2 } END { print s + 0 }'; }
cpu_seconds() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }

# Checks: both answer; every request to B becomes a record (2 spans) the sidecar exports.
curl -sf "http://127.0.0.1:$PORT_A/" >/dev/null || die "A does not answer"
curl -sf "http://127.0.0.1:$PORT_B/" >/dev/null || die "B does not answer"
B_REQUESTS=1

run_wrk() { # port [seconds] -> "rps requests"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${2:-$DURATION}s" "http://127.0.0.1:$1/" |
    awk '/requests in/ { n = $1 } /Requests\/sec/ { r = $2 } END { print r, n }'
}
# Waits until the sidecar has exported a record for every request B answered;
# prints the seconds that took after NGINX's log flush, and the records still to export then.
catch_up() {
  local start lag exported i
  sleep 1.2 # NGINX flushes its 64k log buffers at least every second
  start=$(date +%s.%N)
  lag=$((B_REQUESTS - $(metric njs_tracing_spans_exported_total) / 2))
  for ((i = 0; i < 600; i++)); do
    exported=$(metric njs_tracing_spans_exported_total)
    ((exported / 2 >= B_REQUESTS)) && break
    sleep 0.1
  done
  ((exported / 2 >= B_REQUESTS)) || die "sidecar did not export every record: $((exported / 2)) of $B_REQUESTS"
  echo "$(echo "$(date +%s.%N) - $start" | bc) $lag"
}

mkdir -p "$(dirname "$OUT")"
{
  echo "# sidecar-node-ab $(date -u +%FT%TZ) sidecar=$SIDECAR node_options=\"$SIDECAR_NODE_OPTIONS\" rounds=$ROUNDS duration=${DURATION}s connections=$CONNECTIONS threads=$THREADS workers=$WORKERS"
  echo "# machine: nproc=$(nproc) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\" node $(node --version) $("$NGINX" -v 2>&1)"
} | tee -a "$OUT"

log "warm-up"
run_wrk "$PORT_A" "$WARMUP" >/dev/null
read -r _ n <<<"$(run_wrk "$PORT_B" "$WARMUP")"
B_REQUESTS=$((B_REQUESTS + n))
catch_up >/dev/null

RATIOS=() FULL_RATIOS=() AS=() BS=()
cpu0=$(cpu_seconds "$SIDECAR_PID") records0=$B_REQUESTS
for ((r = 1; r <= ROUNDS; r++)); do
  read -r a _ <<<"$(run_wrk "$PORT_A")"
  read -r b n <<<"$(run_wrk "$PORT_B")"
  B_REQUESTS=$((B_REQUESTS + n))
  cpu_end=$(cpu_seconds "$SIDECAR_PID")
  read -r took lag <<<"$(catch_up)"
  extra=$(echo "$(cpu_seconds "$SIDECAR_PID") - $cpu_end" | bc)
  ratio=$(echo "scale=4; $b / $a" | bc)
  full_ratio=$(echo "scale=4; ($n / ($DURATION + $extra / $(nproc))) / $a" | bc)
  AS+=("$a") BS+=("$b") RATIOS+=("$ratio") FULL_RATIOS+=("$full_ratio")
  echo "round $r: A $a req/s, B $b req/s, B/A $ratio, B/A incl. catch-up $full_ratio; sidecar lag after B: $lag records, caught up in ${took}s using ${extra}s of CPU; load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT"
done
cpu=$(echo "$(cpu_seconds "$SIDECAR_PID") - $cpu0" | bc)
records=$((B_REQUESTS - records0))
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
{
  echo "median A $(median "${AS[@]}") req/s, B $(median "${BS[@]}") req/s, B/A $(median "${RATIOS[@]}") (pairs: ${RATIOS[*]}), B/A incl. catch-up $(median "${FULL_RATIOS[@]}")"
  echo "sidecar: $records records, CPU ${cpu}s = $(echo "scale=1; $cpu * 1000000 / $records" | bc) us/record; dropped spans $(metric njs_tracing_spans_dropped_total), exported $(metric njs_tracing_spans_exported_total), peak RSS $(awk '/VmHWM/ { print $2 / 1024 " MB" }' "/proc/$SIDECAR_PID/status")"
} | tee -a "$OUT"
