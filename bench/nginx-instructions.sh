#!/usr/bin/env bash
# Instructions per request of the proxying NGINX, traced and untraced, counted by
# callgrind (see bench/README.md, "2. Instructions per request"). Unlike req/s this does not
# depend on what else runs on the machine, so it shows small changes of the includes.
#
#   bash bench/nginx-instructions.sh [SCENARIO...]
#
# Host nginx (1.22 + njs 0.7.9 on Debian bookworm) by default; RUNTIME=njs-1.0 or
# qjs-1.0 measures the sid root's nginx 1.30 + njs 1.0 (run through its own loader). For each scenario the proxy
# runs under `valgrind --tool=callgrind --toggle-collect=ngx_process_events_and_timers`
# (counts everything nginx does per event: requests, upstream, logging; not start-up),
# once for N1 and once for N2 keep-alive requests over one client connection; the
# difference divided by N2 - N1 is the cost of one request, without start-up and
# shutdown. The upstream is a separate plain nginx (not under valgrind).
#
# Scenarios (default: untraced default traceparent njs njs-b3):
#   untraced      proxy without the includes (js module loaded, combined access_log)
#   default       + tracing-http.conf / tracing-location.conf, no incoming context
#   traceparent   default + a valid incoming traceparent (sampled)
#   njs           incoming b3, `set $tracing_extract "w3c,b3";` (W3C lines only)
#   njs-b3        njs + `set $tracing_inject "w3c,b3";` + tracing-location-formats.conf
#                 (the `njs` scenario of bench/nginx-ab.sh)
#   off           includes, `set $tracing_enabled off;`
#   nosink        default with `set $tracing_sink off;` (context + headers, no record)
#   udp           default with `set $tracing_sink udp;` (datagrams to a UDP socket this
#                 script binds and never reads)
#   untraced-4k, default-4k   as untraced / default, the upstream answers a 4 KiB file
#   m-default m-w3c m-ts2 ... the production matrix (bench/matrix.sh; MATRIX=1 runs all
#                 its rows plus untraced); u-<row>: untraced with that row's headers;
#   r-future r-b3-debug ...   rare input that njs decides (RARE=1 runs them all)
#   floor         the cheapest native tracer (bench/native-floor.conf): a traceparent from
#                 $request_id and a raw buffered record; a calibration, not a product
#   untraced-nolog, nolog     as untraced / default with `access_log off;` in the location:
#                 no combined line, no span record (nolog - untraced-nolog = context and
#                 headers alone; nosink - nolog - the combined line = deciding on records)
#
# Environment: TREE [the repo] a directory with nginx-conf/ and njs/ to measure instead,
# e.g. an older commit: git archive COMMIT nginx-conf njs | tar -x -C /tmp/old; TREE=/tmp/old
# (scenario njs-b3 needs tracing-location-formats.conf, which older trees lack).
# STRACE=1 counts system calls (strace -c -f) instead of instructions: the table then
# shows syscalls per request, and OUT gets the per-syscall difference.
# EXTRA='directives': added to every traced scenario's location, e.g. EXTRA='set $tracing_sink off;'
# measures each row's context and headers without its span record.
# PCRE_JIT=on|off: `pcre_jit` in the proxy's main context (nginx's default is off;
# README install section), as in bench/nginx-ab.sh.
# N1 [200], N2 [1200], OUT [bench/results/nginx-instructions-DATE.txt]
# (appended), PROFILE=1 adds callgrind_annotate's top functions (self cost, N2 run) and,
# per request, the calls and inclusive instructions of map lookups, complex values,
# variables, regexes, RAND_bytes, JSON escaping and js_var/js_set handlers per
# scenario to OUT, KEEP=1 keeps the temp dir (configs, callgrind.out files).
# Needs valgrind (callgrind_annotate), python3, the host nginx + njs from
# scripts/setup.sh. Runs as any user that may bind 127.0.0.1 ports. Takes ~20-40 s
# per scenario.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TREE=$(cd "${TREE:-$REPO}" && pwd)
N1=${N1:-200}
N2=${N2:-1200}
OUT=${OUT:-$REPO/bench/results/nginx-instructions-$(date +%F).txt}
NGINX=/usr/sbin/nginx
JS_MODULE=/usr/lib/nginx/modules/ngx_http_js_module.so
# RUNTIME=njs-1.0|qjs-1.0: the sid root's nginx 1.30 + njs 1.0, run on the host
# through the sid root's own dynamic loader and libraries (valgrind cannot
# follow chroot); the upstream stays the host nginx.
RUNTIME=${RUNTIME:-njs-0.7.9}
SID_ROOT=${NJS_TRACING_SID_ROOT:-/var/cache/njs-tracing/sid-root}
PROXY=("$NGINX")
PRELUDE=""
case $RUNTIME in
  njs-0.7.9) ;;
  njs-1.0|qjs-1.0)
    LIBS=$SID_ROOT/usr/lib/x86_64-linux-gnu:$SID_ROOT/lib/x86_64-linux-gnu
    PROXY=("$SID_ROOT/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$LIBS" "$SID_ROOT/usr/sbin/nginx")
    JS_MODULE=$SID_ROOT/usr/lib/nginx/modules/ngx_http_js_module.so
    PRELUDE="js_engine $([[ $RUNTIME == qjs-1.0 ]] && echo qjs || echo njs);"
    ;;
  *) echo "nginx-instructions: unknown RUNTIME '$RUNTIME'" >&2; exit 1 ;;
esac
DEFAULT_SPAN_FILE=/var/log/nginx/njs-tracing-spans.log
DEFAULT_SYSLOG=127.0.0.1:5140
TRACEPARENT='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
B3='80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1'

# shellcheck source=bench/matrix.sh
source "$REPO/bench/matrix.sh"
SCENARIOS=("$@")
if [[ -n ${MATRIX:-} ]]; then
  read -ra SCENARIOS <<<"untraced $MATRIX_ROWS"
fi
if [[ -n ${RARE:-} ]]; then
  read -ra SCENARIOS <<<"untraced m-default $RARE_ROWS"
fi
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=(untraced default traceparent njs njs-b3)

die() { echo "nginx-instructions: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
command -v valgrind >/dev/null || die "valgrind missing (apt-get install valgrind)"
command -v python3 >/dev/null || die "python3 missing"
[[ -x $NGINX && -f $JS_MODULE ]] || die "host nginx/njs missing; run: bash scripts/setup.sh"
[[ -f $TREE/njs/tracing.js && -f $TREE/nginx-conf/tracing-http.conf ]] || die "no njs/tracing.js or nginx-conf/ in $TREE"

TMP=$(mktemp -d /tmp/njs-tracing-instr.XXXXXX)
chmod 755 "$TMP"
UP_PID="" UDP_PID=""
cleanup() {
  [[ -n $UP_PID ]] && kill -QUIT "$UP_PID" 2>/dev/null || true
  [[ -n $UDP_PID ]] && kill "$UDP_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [[ -z ${KEEP:-} ]]; then rm -rf "$TMP"; else log "kept $TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r UP_PORT PROXY_PORT UDP_PORT < <(python3 -c '
import socket
t = [socket.socket() for _ in range(2)]
for s in t: s.bind(("127.0.0.1", 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(t[0].getsockname()[1], t[1].getsockname()[1], u.getsockname()[1])')

wait_port() { # port pid
  local i
  for ((i = 0; i < 600; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---- upstream: plain nginx, one process, "ok\n" or a 4 KiB file
mkdir -p "$TMP/up/logs" "$TMP/up/www" "$TMP/proxy/logs" "$TMP/proxy/conf" "$TMP/proxy/temp"
for ((i = 0; i < 64; i++)); do printf '%063d\n' "$i"; done | tr 0 x >"$TMP/up/www/4k.txt"
cat >"$TMP/up/nginx.conf" <<EOF
master_process off; daemon off; error_log $TMP/up/logs/error.log; pid $TMP/up/nginx.pid;
events {}
http {
    access_log off; keepalive_requests 100000; default_type text/plain;
    client_body_temp_path $TMP/up/logs; proxy_temp_path $TMP/up/logs;
    server {
        listen 127.0.0.1:$UP_PORT;
        location / { return 200 "ok\n"; }
        location /4k/ { root $TMP/up/www; try_files /4k.txt =404; }
    }
}
EOF
"$NGINX" -p "$TMP/up/" -c "$TMP/up/nginx.conf" >"$TMP/up/logs/stdout" 2>&1 &
UP_PID=$!
wait_port "$UP_PORT" "$UP_PID" || die "upstream did not start: $(cat "$TMP/up/logs/error.log" "$TMP/up/logs/stdout")"
# a UDP socket that exists but is never read, so udp-sink sendto()s succeed (no ICMP errors)
python3 -c 'import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", int(sys.argv[1]))); time.sleep(86400)' "$UDP_PORT" &
UDP_PID=$!

for f in "$TREE"/nginx-conf/*.conf; do
  sed -e "s#$DEFAULT_SPAN_FILE#$TMP/proxy/logs/spans.log#g" -e "s#$DEFAULT_SYSLOG#127.0.0.1:$UDP_PORT#g" \
    "$f" >"$TMP/proxy/conf/$(basename "$f")"
done

# scenario -> "traced(0|1) knobs path header"
scenario() {
  case $1 in
    untraced) echo "0||/|" ;;
    default) echo "1||/|" ;;
    traceparent) echo "1||/|traceparent: $TRACEPARENT" ;;
    njs) echo '1|set $tracing_extract "w3c,b3";|/|b3: '"$B3" ;;
    njs-b3) echo '1|set $tracing_extract "w3c,b3"; set $tracing_inject "w3c,b3"; include '"$TMP"'/proxy/conf/tracing-location-formats.conf;|/|b3: '"$B3" ;;
    off) echo '1|set $tracing_enabled off;|/|' ;;
    nosink) echo '1|set $tracing_sink off;|/|' ;;
    udp) echo '1|set $tracing_sink udp;|/|' ;;
    untraced-4k) echo "0||/4k/|" ;;
    floor) echo "0|proxy_set_header traceparent \"00-\$request_id-00f067aa0ba902b7-01\"; access_log $TMP/proxy/logs/access.log; access_log $TMP/proxy/logs/spans.log bench_floor buffer=64k flush=1s;|/|" ;;
    untraced-nolog) echo "0|access_log off;|/|" ;;
    nolog) echo "1|access_log off;|/|" ;;
    default-4k) echo "1||/4k/|" ;;
    m-*|r-*) echo "1|$(matrix_knobs "$1" | sed "s#include tracing-#include $TMP/proxy/conf/tracing-#")|/|$(matrix_headers "$1" | paste -sd^)" ;;
    u-m-*) echo "0||/|$(matrix_headers "${1#u-}" | paste -sd^)" ;;
    *) die "unknown scenario '$1'" ;;
  esac
}

proxy_conf() { # traced knobs
  local traced=$1 knobs=$2 c=$TMP/proxy/conf
  cat <<EOF
load_module $JS_MODULE;
master_process off; daemon off; worker_processes 1;
error_log $TMP/proxy/logs/error.log; pid $TMP/proxy/nginx.pid;
${PCRE_JIT:+pcre_jit $PCRE_JIT;}
events {}
http {
    $PRELUDE
    js_path "$TREE/njs";
    client_body_temp_path $TMP/proxy/temp; proxy_temp_path $TMP/proxy/temp;
    default_type text/plain;
    keepalive_requests 100000;
    # as bench/nginx-ab.sh: the default combined format, unbuffered, in both variants
    access_log $TMP/proxy/logs/access.log;
    upstream app { server 127.0.0.1:$UP_PORT; keepalive 16; keepalive_requests 100000; }
$( ((traced)) && echo "    include $c/tracing-http.conf;")
$([[ $knobs == *bench_floor* ]] && echo "    include $REPO/bench/native-floor.conf;")
    server {
        listen 127.0.0.1:$PROXY_PORT;
        location / {
            $knobs
$( ((traced)) && echo "            ${EXTRA:-}")
$( ((traced)) && echo "            include $c/tracing-location.conf;")
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
    }
}
EOF
}

# n path header -> sends n keep-alive requests over one connection, checks each answer
send() {
  python3 - "$PROXY_PORT" "$@" <<'PY'
import http.client, sys
port, n, path, header = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
headers = dict(h.split(': ', 1) for h in header.split('^')) if header else {}
c = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
for _ in range(n):
    c.request('GET', path, headers=headers)
    r = c.getresponse()
    body = r.read()
    assert r.status == 200 and len(body) in (3, 4096), (r.status, len(body))
    assert (r.getheader('Connection') or '').lower() != 'close', 'client connection closed'
c.close()
PY
}

# n -> total instructions of one run (callgrind "totals"), callgrind.out kept in $TMP
measure() { # scenario n path header
  local sc=$1 n=$2 path=$3 header=$4 out=$TMP/callgrind.$1.$2.out vpid
  : >"$TMP/proxy/logs/spans.log"
  if [[ -n ${STRACE:-} ]]; then
    strace -f -c -o "$out.strace" \
      "${PROXY[@]}" -p "$TMP/proxy/" -c "$TMP/proxy/nginx.conf" >"$TMP/valgrind.$sc.$n.log" 2>&1 &
  else
  valgrind --tool=callgrind --toggle-collect=ngx_process_events_and_timers --callgrind-out-file="$out" \
    "${PROXY[@]}" -p "$TMP/proxy/" -c "$TMP/proxy/nginx.conf" >"$TMP/valgrind.$sc.$n.log" 2>&1 &
  fi
  vpid=$!
  wait_port "$PROXY_PORT" "$vpid" || die "proxy ($sc) did not start: $(tail -5 "$TMP/valgrind.$sc.$n.log")"
  send "$n" "$path" "$header" || { kill -KILL "$vpid"; die "requests failed ($sc)"; }
  # strace detaches on SIGQUIT: signal nginx itself
  if [[ -n ${STRACE:-} ]]; then kill -QUIT "$(pgrep -P "$vpid")"; else kill -QUIT "$vpid"; fi
  wait "$vpid" || true
  if [[ -n ${STRACE:-} ]]; then # total syscalls; per-syscall counts stay in $out.strace
    awk '$NF == "total" { print $(NF-2) }' "$out.strace"
    return
  fi
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

# Per request (difference of the two runs): calls of a few functions that show what the
# includes evaluate, and their inclusive instructions.
per_request_profile() { # scenario
  local f
  for f in "$N1" "$N2"; do
    callgrind_annotate --inclusive=yes --threshold=100 "$TMP/callgrind.$1.$f.out" 2>/dev/null >"$TMP/incl.$f" || true
  done
  python3 - "$TMP/callgrind.$1.$N1.out" "$TMP/callgrind.$1.$N2.out" "$TMP/incl.$N1" "$TMP/incl.$N2" "$((N2 - N1))" <<'PY'
import collections, re, sys
WATCH = ['ngx_http_map_find', 'ngx_http_complex_value', 'ngx_http_get_indexed_variable', 'ngx_http_regex_exec',
         'RAND_bytes', 'ngx_escape_json', 'ngx_http_js_variable_var', 'ngx_http_js_variable_set']
def calls(path):
    names, count, callee = {}, collections.Counter(), None
    for line in open(path):
        m = re.match(r'^c?fn=\((\d+)\)(?: (.*))?', line)
        if m:
            if m.group(2): names[m.group(1)] = m.group(2)
            if line.startswith('cfn='): callee = names[m.group(1)].split("'")[0]
            continue
        m = re.match(r'^calls=(\d+)', line)
        if m and callee: count[callee] += int(m.group(1))
    return count
def inclusive(path):
    cost = {}
    for line in open(path):
        m = re.match(r'^\s*([\d,]+) \([^)]*\)\s+\S*?:([\w]+) ', line)
        if m and m.group(2) not in cost: cost[m.group(2)] = int(m.group(1).replace(',', ''))
    return cost
a, b, ia, ib, n = calls(sys.argv[1]), calls(sys.argv[2]), inclusive(sys.argv[3]), inclusive(sys.argv[4]), int(sys.argv[5])
print('per request: ' + ', '.join(
    f'{w} {(b[w] - a[w]) / n:g} calls' + (f' {(ib[w] - ia.get(w, 0)) / n:.0f} Ir incl.' if w in ib else '')
    for w in WATCH if b[w] - a[w]))
PY
}

log "upstream :$UP_PORT, proxy :$PROXY_PORT under callgrind, N1=$N1 N2=$N2"
{
  echo "=== nginx-instructions $(date -Is)"
  echo "command: N1=$N1 N2=$N2 RUNTIME=$RUNTIME ${MATRIX:+MATRIX=1 }${PCRE_JIT:+PCRE_JIT=$PCRE_JIT }${RARE:+RARE=1 }${EXTRA:+EXTRA='$EXTRA' }bash bench/nginx-instructions.sh ${SCENARIOS[*]}"
  if [[ $TREE == "$REPO" ]]; then
    echo "git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet -- njs nginx-conf 2>/dev/null || echo ' (njs/ or nginx-conf/ modified)')"
  else
    echo "tree: $TREE${TREE_LABEL:+ ($TREE_LABEL)}"
  fi
  if [[ $RUNTIME == njs-0.7.9 ]]; then
    echo "runtime: $RUNTIME, nginx: $("$NGINX" -v 2>&1 | cut -d/ -f2), njs: $(dpkg-query -W -f '${Version}' libnginx-mod-http-js 2>/dev/null || echo '?'), $(valgrind --version)"
  else
    echo "runtime: $RUNTIME ($PRELUDE), nginx: $("${PROXY[@]}" -v 2>&1 | cut -d/ -f2), njs: $(chroot "$SID_ROOT" dpkg-query -W -f '${Version}' libnginx-mod-http-js 2>/dev/null || echo '?'), $(valgrind --version)"
  fi
  echo "machine: nproc=$(nproc) kernel=$(uname -r) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
} >>"$TMP/out"
# the untraced scenario each one is compared with
baseline() { case $1 in *-4k) echo untraced-4k ;; *nolog) echo untraced-nolog ;; u-m-*) echo untraced ;; *) echo untraced ;; esac; }
declare -A PER=()
for sc in "${SCENARIOS[@]}"; do
  IFS='|' read -r traced knobs path header <<<"$(scenario "$sc")"
  proxy_conf "$traced" "$knobs" >"$TMP/proxy/nginx.conf"
  "${PROXY[@]}" -t -q -p "$TMP/proxy/" -c "$TMP/proxy/nginx.conf" 2>"$TMP/nginx-t.$sc" || die "nginx -t ($sc): $(cat "$TMP/nginx-t.$sc")"
  a=$(measure "$sc" "$N1" "$path" "$header")
  b=$(measure "$sc" "$N2" "$path" "$header")
  per=$(((b - a) / (N2 - N1)))
  records=$(wc -l <"$TMP/proxy/logs/spans.log")
  PER[$sc]=$per
  line="$sc: ${STRACE:+syscalls }Ir($N1)=$a Ir($N2)=$b per request=$per, span records in the N2 run: $records"
  if [[ -n ${STRACE:-} ]]; then
    line+=$'\n'"  per request: $(awk -v n=$((N2 - N1)) 'FNR == NR && $NF ~ /^[a-z_0-9]+$/ && $NF != "total" { a[$NF] = $4 + 0; next }
      $NF ~ /^[a-z_0-9]+$/ && $NF != "total" { d = ($4 - a[$NF]) / n; if (d >= 0.01) printf "%s %.2f, ", $NF, d }' \
      "$TMP/callgrind.$sc.$N1.out.strace" "$TMP/callgrind.$sc.$N2.out.strace")"
  fi
  log "$line"
  echo "$line" >>"$TMP/out"
  if [[ -n ${PROFILE:-} ]]; then
    {
      echo "--- $sc: top functions, self instructions, $N2 requests"
      callgrind_annotate --inclusive=no --threshold=99 "$TMP/callgrind.$sc.$N2.out" 2>/dev/null |
        sed -n '/^Ir/,$p' | grep -v '^--' | sed '/^$/d' | head -32 || true
      per_request_profile "$sc"
    } >>"$TMP/out"
  fi
done
mkdir -p "$(dirname "$OUT")"
cat "$TMP/out" >>"$OUT"
{
printf '\n| scenario | instructions/request | minus untraced | x untraced |\n|---|---|---|---|\n'
for sc in "${SCENARIOS[@]}"; do
  base=$(baseline "$sc")
  if [[ -n ${PER[$base]:-} && $sc != "$base" ]]; then
    printf '| %s | %d | %+d | %.2f |\n' "$sc" "${PER[$sc]}" $((PER[$sc] - PER[$base])) "$(awk -v b="${PER[$base]}" -v p="${PER[$sc]}" 'BEGIN { print p / b }')"
  else
    printf '| %s | %d | | |\n' "$sc" "${PER[$sc]}"
  fi
done
} | tee -a "$OUT"
echo >>"$OUT"
echo "appended to ${OUT#"$REPO/"}"
