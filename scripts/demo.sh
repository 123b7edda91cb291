#!/usr/bin/env bash
# Installs what is needed, then starts the local demo cluster (three nodes) on Node.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx examples/local-cluster/run.ts
