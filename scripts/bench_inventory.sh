#!/usr/bin/env bash
# make bench: a storm of 100,000 boot events through the inventory's recorder
# (10,000 machines, ten events each), offered as fast as four tasks can and
# at 20,000 a second (about what one Kiln answers on these machines), with
# the queue's drop count; and the sqlite3 shell inserting the same 100,000
# events as rows in one transaction, in the same rounds, as the peer.
set -euo pipefail
STORM=${1:?usage: bench_inventory.sh path/to/InventoryStorm}
. "$(dirname "$0")/lib.sh"  # median
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
EVENTS=100000
ROUNDS=${BENCH_ROUNDS:-3}

# The peer's input: the same events as SQL rows, in a table shaped like Kiln's.
python3 - "$WORK/events.sql" "$EVENTS" <<'PY'
import sys
path, total = sys.argv[1], int(sys.argv[2])
steps = ["dhcp", "tftp", "dhcp", "boot.ipxe", "ipxe", "assets", "assets", "ignition", "ipxe", "ipxe"]
with open(path, "w") as f:
    f.write("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;\n")
    f.write("CREATE TABLE event (id INTEGER PRIMARY KEY, mac TEXT NOT NULL, time REAL NOT NULL, kind TEXT NOT NULL, client TEXT, endpoint TEXT NOT NULL, target TEXT NOT NULL, status INTEGER NOT NULL, bytes INTEGER, duration REAL, reason TEXT, stage INTEGER NOT NULL, repeats INTEGER NOT NULL DEFAULT 1);\n")
    f.write("CREATE INDEX event_mac ON event(mac); CREATE INDEX event_time ON event(time);\nBEGIN;\n")
    for i in range(total):
        m = i % 10000
        f.write("INSERT INTO event (mac, time, kind, client, endpoint, target, status, bytes, duration, stage) VALUES ('52:54:00:%02x:%02x:%02x', %d, 'http', '10.0.%d.%d', '%s', '/x', 200, 1000, 0.001, 1);\n"
                % ((m >> 16) & 255, (m >> 8) & 255, m & 255, 1_700_000_000 + i, (m >> 8) & 255, m & 255, steps[(i // 10000) % 10]))
    f.write("COMMIT;\n")
PY

declare -a FAST_DRAIN PACED_DRAIN PEER FAST_DROPPED PACED_DROPPED
for round in $(seq 1 "$ROUNDS"); do
    rm -rf "$WORK/state"; read -r _ _ dropped _ rows machines offer drain < <("$STORM" "$WORK/state" "$EVENTS")
    FAST_DRAIN+=("$drain"); FAST_DROPPED+=("$dropped"); FAST_ROWS=$rows; FAST_MACHINES=$machines; FAST_OFFER=$offer
    rm -rf "$WORK/state"; read -r _ _ dropped written rows machines offer drain < <("$STORM" "$WORK/state" "$EVENTS" 20000)
    PACED_DRAIN+=("$drain"); PACED_DROPPED+=("$dropped"); PACED_ROWS=$rows; PACED_WRITTEN=$written
    rm -f "$WORK/peer.sqlite"*
    start=$(date +%s.%N); sqlite3 "$WORK/peer.sqlite" <"$WORK/events.sql" >/dev/null; end=$(date +%s.%N)
    PEER+=("$(python3 -c "print(f'{$end - $start:.3f}')")")
done
fast=$(median "${FAST_DRAIN[*]}" .3f); paced=$(median "${PACED_DRAIN[*]}" .3f); peer=$(median "${PEER[*]}" .3f)
echo "inventory storm: $EVENTS events from 10,000 machines, median of $ROUNDS interleaved rounds"
echo "  as fast as 4 tasks offer ($FAST_OFFER s to offer): dropped $(median "${FAST_DROPPED[*]}") (the queue holds 50,000; boots never wait), queue drained in $fast s, $FAST_ROWS rows for $FAST_MACHINES machines"
echo "  at 20,000 events/s:  dropped $(median "${PACED_DROPPED[*]}"), written $PACED_WRITTEN, $PACED_ROWS rows, all stored ${paced} s after the storm began (5 s of offering)"
echo "  peer: sqlite3 shell inserting the same $EVENTS rows in one transaction: $peer s"
echo "  kiln writes 20,000 events/s as they arrive; its queue drains at the end of the storm in $(python3 -c "print(f'{$paced - 5:.2f}')") s (sqlite3 bulk insert of all of them: $peer s)"
