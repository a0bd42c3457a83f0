#!/usr/bin/env bash
# The demo, on embedded defaults: nginx (with the njs-tracing includes) in
# front of a small app, the sidecar tailing nginx's span records and printing
# the OpenTelemetry spans it would send to Jaeger. Sets everything up first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

bash scripts/setup.sh
npm run --silent build

PREFIX=$(mktemp -d /tmp/njs-tracing-demo.XXXXXX)
mkdir -p "$PREFIX/tmp"
SPANS=/var/log/nginx/njs-tracing-spans.log   # the include's default file sink
pids=()
cleanup() {
  [ -f "$PREFIX/nginx.pid" ] && kill -QUIT "$(cat "$PREFIX/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$PREFIX"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "starting the app on 127.0.0.1:9080"
node scripts/demo/app.mjs 9080 & pids+=($!)

step "starting the sidecar (exporter: console; reads $SPANS)"
mkdir -p /var/log/nginx && touch "$SPANS"
seen=$(stat -c %s "$SPANS")   # show only the records this demo adds
OTEL_TRACES_EXPORTER=console OTEL_BSP_SCHEDULE_DELAY=200 NJS_TRACING_LOG_LEVEL=warn \
  node bin/njs-tracing-sidecar.js > "$PREFIX/sidecar.out" 2>&1 & pids+=($!)

step "starting nginx $(nginx -v 2>&1 | sed 's/.*\///') with njs $(njs -v) on 127.0.0.1:8080"
sed -e "s#@ROOT@#$ROOT#g" -e "s#@PREFIX@#$PREFIX#g" scripts/demo/nginx.conf > "$PREFIX/nginx.conf"
nginx -q -c "$PREFIX/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8080/ && break; sleep 0.1; done

step "1. a request with no trace context: nginx starts a trace and injects traceparent"
curl -s http://127.0.0.1:8080/cart/42
step "2. a request continuing a caller's trace (W3C traceparent + tracestate)"
curl -s http://127.0.0.1:8080/checkout -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' \
  -H 'tracestate: congo=t61rcWkgMzE'
step "3. a malformed traceparent: ignored, a new trace starts, the request is untouched"
curl -s http://127.0.0.1:8080/search -H 'traceparent: 00-not-a-trace-01'

sleep 1.5   # the file sink flushes once a second
step "span records nginx wrote to $SPANS"
tail -c +"$((seen + 1))" "$SPANS"
sleep 1
step "spans the sidecar exported (console exporter)"
cat "$PREFIX/sidecar.out"
step "sidecar metrics (excerpt)"
curl -s http://127.0.0.1:9464/metrics | grep -E '^njs_tracing_(records_received|spans_exported|rejected)' || true
