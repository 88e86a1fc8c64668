#!/usr/bin/env bash
# One command from a fresh clone to a running pipeline on a simulated GB300 NVL72 rack:
# installs dependencies (first run), builds, and runs `kiln up` with deploy/kiln.yaml until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nats-server >/dev/null 2>&1; then
  echo "kiln: nats-server is not installed. Debian/Ubuntu: sudo apt-get install nats-server" >&2
  echo "      (or set nats.url in deploy/kiln.yaml to use an existing NATS server)" >&2
  exit 1
fi
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
exec node services/cli/bin/kiln.js up --config deploy/kiln.yaml "$@"
