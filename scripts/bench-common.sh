# Sourced by the bench scripts that run Kiln: the shared helpers (lib.sh); a
# scratch folder and the Kiln started here, plus any process whose id a
# script adds to PIDS, all gone on exit; starting Kiln on a free loopback
# port and waiting until it answers. Expects KILN (the binary) to be set.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK=$(mktemp -d)
KILN_PID=""
PIDS=()
cleanup() {
    [ -z "$KILN_PID" ] || { kill "$KILN_PID" 2>/dev/null || true; wait "$KILN_PID" 2>/dev/null || true; }
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# start_kiln ASSETS [DATA [FLAG...]]: serves DATA (default $WORK/data) and
# ASSETS on PORT (set here), logging to $WORK/kiln.log; sets KILN_PID. With
# no FLAGs, log level warning and TFTP off; FLAGs given replace those two.
# Returns once /healthz answers (30 s at most).
start_kiln() {
    local assets=$1 data=${2:-$WORK/data}
    if [ $# -gt 2 ]; then shift 2; else set -- --tftp-address '' --log-level warning; fi
    PORT=$(free_port)
    "$KILN" serve --data-path "$data" --assets-path "$assets" --address "127.0.0.1:$PORT" "$@" >"$WORK/kiln.log" 2>&1 &
    KILN_PID=$!
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "kiln did not start:"; cat "$WORK/kiln.log"; return 1
}
