# Sourced by the bench scripts that run one Kiln: a scratch folder and that
# Kiln, both gone on exit; a free loopback port; starting Kiln and waiting
# until it answers. Expects KILN (the binary) to be set.
WORK=$(mktemp -d)
KILN_PID=""
cleanup() {
    [ -z "$KILN_PID" ] || { kill "$KILN_PID" 2>/dev/null || true; wait "$KILN_PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_kiln ASSETS: serves $WORK/data and ASSETS on PORT (set here), log
# level warning, TFTP off; returns once /healthz answers (30 s at most).
start_kiln() {
    PORT=$(free_port)
    "$KILN" serve --data-path "$WORK/data" --assets-path "$1" --address "127.0.0.1:$PORT" --tftp-address '' --log-level warning >"$WORK/kiln.log" 2>&1 &
    KILN_PID=$!
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "kiln did not start:"; cat "$WORK/kiln.log"; return 1
}
