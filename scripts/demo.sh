#!/usr/bin/env bash
# Installs what is needed, then starts the local demo cluster (three nodes) on Node.
# `npm run demo -- --port-base N` puts it on ports N to N+5 (default: 8081-8083 and 4001-4003
# when free, else any free ports).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx examples/local-cluster/run.ts "$@"
