#!/usr/bin/env bash
# The one test command (README, .ci/run): set up the machine, check the committed
# njs bundle is fresh, run every test against the real nginx runtimes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh && npm run build -- --check && npx vitest run
