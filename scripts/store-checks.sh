#!/usr/bin/env bash
# make test: three Kiln replicas sharing a three-member etcd cluster on
# loopback (scripts/store_checks.py holds the checks; docs/scale-out.md
# says what they show).
set -uo pipefail
KILN=${1:?usage: store-checks.sh path/to/kiln}
command -v etcd >/dev/null || { echo "store-checks: etcd is missing (make test installs etcd-server)"; exit 1; }
exec timeout 600 python3 "$(dirname "$0")/store_checks.py" "$KILN"
