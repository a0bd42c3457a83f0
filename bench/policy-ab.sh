#!/usr/bin/env bash
# Throughput cost of the per-Ingress policy (see bench/README.md, "Per-Ingress policy"):
# A and B are the same traced, ingress-nginx-shaped NGINX (`set $namespace …; set
# $ingress_name …;` per location, tracing-http.conf + tracing-location.conf, span records
# to a buffered file); B also includes tracing-policy.conf with the policy files of
# POLICIES annotated Ingresses, the requested one among them (POLICY=hit, every knob map
# finds it) or not (POLICY=miss). wrk alternates A, B, A, B… and the script prints the
# median of the per-pair B/A req/s ratios and of the proxy workers' CPU per request.
#
#   bash bench/policy-ab.sh [RUNTIME...]      RUNTIME: njs-1.0 (default) qjs-1.0 njs-0.7.9
#
# Scenarios (SCENARIOS): trivial (the upstream answers "ok\n" at once), slow (a Node
# upstream answering after 1 ms). Environment: ROUNDS [8] pairs, DURATION [2] s per run,
# WARMUP [1] s, CONNECTIONS [32], POLICIES [200], POLICY [hit], OUT
# [bench/results/policy-ab-DATE.txt] (appended), NJS_TRACING_SID_ROOT. Needs root (chroot,
# user www-data), wrk, node (npx tsx), python3.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SID_ROOT=${NJS_TRACING_SID_ROOT:-/var/cache/njs-tracing/sid-root}
ROUNDS=${ROUNDS:-8}
DURATION=${DURATION:-2}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
POLICIES=${POLICIES:-200}
POLICY=${POLICY:-hit}
read -r -a SCENARIO_LIST <<<"${SCENARIOS:-trivial slow}"
OUT=${OUT:-$REPO/bench/results/policy-ab-$(date +%F).txt}
NGINX=/usr/sbin/nginx
JS_MODULE=/usr/lib/nginx/modules/ngx_http_js_module.so
DEFAULT_SPAN_FILE=/var/log/nginx/njs-tracing-spans.log
RUNTIMES=("$@")
[[ ${#RUNTIMES[@]} -gt 0 ]] || RUNTIMES=(njs-1.0)

die() { echo "policy-ab: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
[[ $(id -u) -eq 0 ]] || die "run as root (chroot for the sid runtimes, user www-data)"
command -v wrk >/dev/null || die "wrk missing (apt-get install wrk)"

PIDS=() DIRS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -QUIT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${KEEP:-} ]] || rm -rf "${DIRS[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ports() { python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"; }
wait_port() { # port pid
  local i
  for ((i = 0; i < 300; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

read -r UP_PORT SLOW_PORT < <(ports 2)
UP=$(mktemp -d /tmp/njs-tracing-policy-ab-up.XXXXXX); DIRS+=("$UP")
cat >"$UP/nginx.conf" <<CONF
master_process off; daemon off; error_log $UP/error.log; pid $UP/nginx.pid;
events {}
http { access_log off; keepalive_requests 1000000; default_type text/plain;
       client_body_temp_path $UP; proxy_temp_path $UP;
       server { listen 127.0.0.1:$UP_PORT; location / { return 200 "ok\n"; } } }
CONF
"$NGINX" -p "$UP/" -c "$UP/nginx.conf" &
PIDS+=($!)
wait_port "$UP_PORT" "${PIDS[-1]}" || die "upstream did not start"
node -e '
const s = require("node:http").createServer((q, r) => setTimeout(() => r.end("ok\n"), 1));
s.keepAliveTimeout = 60000; s.listen(Number(process.argv[1]), "127.0.0.1");' "$SLOW_PORT" &
PIDS+=($!)
wait_port "$SLOW_PORT" "${PIDS[-1]}" || die "slow upstream did not start"

# runtime variant(a|b) -> starts a proxy, prints "port master_pid dir"
start_proxy() {
  local rt=$1 variant=$2 root="" prelude="" dir view port
  case $rt in
    njs-0.7.9) ;;
    njs-1.0) root=$SID_ROOT; prelude="js_engine njs;" ;;
    qjs-1.0) root=$SID_ROOT; prelude="js_engine qjs;" ;;
    *) die "unknown runtime $rt" ;;
  esac
  dir=$(mktemp -d "$root/tmp/njs-tracing-policy-ab.XXXXXX"); chmod 755 "$dir"
  view=${dir#"$root"}
  mkdir -p "$dir/conf" "$dir/logs" "$dir/temp" "$dir/njs"
  cp "$REPO"/njs/*.js "$dir/njs/"
  for f in "$REPO"/nginx-conf/*.conf; do sed "s#$DEFAULT_SPAN_FILE#$view/logs/spans.log#g" "$f" >"$dir/conf/$(basename "$f")"; done
  local policy=""
  if [[ $variant == b ]]; then
    (cd "$REPO" && npx tsx bench/policy-files.ts "$dir" "$POLICIES" "$POLICY" "$view")
    policy="include $view/tracing-policy.conf;"
  fi
  read -r port < <(ports 1)
  cat >"$dir/nginx.conf" <<CONF
load_module $JS_MODULE;
user www-data; daemon off; worker_processes 1;
error_log $view/logs/error.log; pid $view/nginx.pid;
events { worker_connections 1024; }
http {
    $prelude
    js_path "$view/njs";
    client_body_temp_path $view/temp; proxy_temp_path $view/temp;
    default_type text/plain; keepalive_requests 1000000;
    map_hash_bucket_size 64; variables_hash_bucket_size 256;
    access_log $view/logs/access.log;
    upstream app { server 127.0.0.1:$UP_PORT; keepalive 16; }
    upstream slow { server 127.0.0.1:$SLOW_PORT; keepalive 64; }
    include $view/conf/tracing-http.conf;
    $policy
    server {
        listen 127.0.0.1:$port;
        location / {
            set \$namespace "shop"; set \$ingress_name "web"; set \$service_name "web"; set \$service_port "80"; set \$location_path "/";
            include $view/conf/tracing-location.conf;
            proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://app;
        }
        location /slow/ {
            set \$namespace "shop"; set \$ingress_name "web"; set \$service_name "web"; set \$service_port "80"; set \$location_path "/slow/";
            include $view/conf/tracing-location.conf;
            proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://slow;
        }
    }
}
CONF
  local cmd=("$NGINX")
  [[ -n $root ]] && cmd=(chroot "$root" "$NGINX")
  "${cmd[@]}" -p "$view/" -c "$view/nginx.conf" -t -q || die "nginx -t failed ($rt $variant)"
  "${cmd[@]}" -p "$view/" -c "$view/nginx.conf" >"$dir/logs/stdout" 2>&1 &
  local pid=$!
  wait_port "$port" "$pid" || die "proxy $rt $variant did not start: $(cat "$dir/logs/error.log")"
  echo "$port $pid $dir"
}

cpu_ns() { # master pid -> CPU ns of its worker
  local w
  w=$(pgrep -P "$1" | head -1)
  if [[ -n $w ]]; then awk '{ print $1 }' "/proc/$w/schedstat"; else echo 0; fi
}
# seconds url -> "rps requests"
run_wrk() {
  local out
  out=$(wrk -t1 -c"$CONNECTIONS" -d"$1s" "$2" 2>&1) || { echo "$out" >&2; die "wrk failed"; }
  if grep -q 'Non-2xx' <<<"$out"; then die "non-2xx answers: $out"; fi
  echo "$(awk '/Requests\/sec/ { print $2 }' <<<"$out") $(awk '/requests in/ { print $1 }' <<<"$out")"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

{
  echo "=== policy-ab $(date -Is)"
  echo "command: ROUNDS=$ROUNDS DURATION=$DURATION POLICIES=$POLICIES POLICY=$POLICY SCENARIOS=\"${SCENARIO_LIST[*]}\" bash bench/policy-ab.sh ${RUNTIMES[*]}"
  echo "git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null), machine: nproc=$(nproc) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
} | tee -a "$OUT"
printf '| runtime | scenario | A req/s | B req/s | B/A (median of pairs) | worst pair | CPU µs/req A / B | CPU A/B |\n|---|---|---|---|---|---|---|---|\n' | tee -a "$OUT"
for rt in "${RUNTIMES[@]}"; do
  read -r PA MA DA < <(start_proxy "$rt" a)
  read -r PB MB DB < <(start_proxy "$rt" b)
  PIDS+=("$MA" "$MB"); DIRS+=("$DA" "$DB")
  curl -sf "http://127.0.0.1:$PB/" -o /dev/null || die "B does not answer"
  for sc in "${SCENARIO_LIST[@]}"; do
    path=/; [[ $sc == slow ]] && path=/slow/
    run_wrk "$WARMUP" "http://127.0.0.1:$PA$path" >/dev/null
    run_wrk "$WARMUP" "http://127.0.0.1:$PB$path" >/dev/null
    ratios=() ra=() rb=() ca=() cb=()
    for ((i = 0; i < ROUNDS; i++)); do
      c0=$(cpu_ns "$MA"); read -r rps_a n_a < <(run_wrk "$DURATION" "http://127.0.0.1:$PA$path"); c1=$(cpu_ns "$MA")
      c2=$(cpu_ns "$MB"); read -r rps_b n_b < <(run_wrk "$DURATION" "http://127.0.0.1:$PB$path"); c3=$(cpu_ns "$MB")
      ra+=("$rps_a") rb+=("$rps_b")
      ca+=("$(awk -v c=$((c1 - c0)) -v n="$n_a" 'BEGIN { print c / n / 1000 }')")
      cb+=("$(awk -v c=$((c3 - c2)) -v n="$n_b" 'BEGIN { print c / n / 1000 }')")
      ratios+=("$(awk -v a="$rps_a" -v b="$rps_b" 'BEGIN { print b / a }')")
    done
    mca=$(printf '%s\n' "${ca[@]}" | median); mcb=$(printf '%s\n' "${cb[@]}" | median)
    printf '| %s | %s | %.0f | %.0f | **%.3f** | %.3f | %.1f / %.1f | %.3f |\n' "$rt" "$sc" \
      "$(printf '%s\n' "${ra[@]}" | median)" "$(printf '%s\n' "${rb[@]}" | median)" \
      "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)" \
      "$mca" "$mcb" "$(awk -v a="$mca" -v b="$mcb" 'BEGIN { print a / b }')" | tee -a "$OUT"
  done
  for f in "$DA" "$DB"; do
    if grep -E '\[(error|crit|alert|emerg)\]' "$f/logs/error.log"; then die "error lines in $f/logs/error.log"; fi
  done
  kill -QUIT "$MA" "$MB"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
echo >>"$OUT"
