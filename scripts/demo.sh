#!/usr/bin/env bash
# The demo, on embedded defaults: nginx (with the njs-tracing includes) in front
# of an instrumented app (frontend -> orders -> PostgreSQL), the sidecar, load,
# then one trace as a waterfall, the per-layer latency table and an HTML report.
# Every span goes to an OTLP file in demo-output/; set OTEL_TRACES_EXPORTER=otlp-file,otlp
# and OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318 to send them to Jaeger as well.
#
#   bash scripts/demo.sh [--fault slow-db|slow-handler|retry|slow-connect|slow-upload]
#                        [--requests N] [--concurrency N] [--port 8080] [--out demo-output]
# Sets everything up first (scripts/setup.sh: Debian packages, node modules).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

bash scripts/setup.sh
npm run --silent build >/dev/null
exec node --import tsx scripts/demo/run.ts "$@"
