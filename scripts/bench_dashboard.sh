#!/usr/bin/env bash
# make bench: the dashboard at 10,000 machines. Kiln (release) serves an
# inventory of 10,000 machines (three events each, stages and failures
# mixed, seeded straight into its SQLite file); curl times the overview's
# first page, a text search, a stage filter deep in the pages, the catalog
# page (which matches every machine) and one machine's page. The peer is
# the sqlite3 shell running the overview's three queries on the same file
# and printing the page's rows as an HTML table, in the same rounds,
# interleaved. Target: the overview rendered in under 200 ms (median).
set -euo pipefail
KILN=${1:?usage: bench_dashboard.sh path/to/kiln}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"  # free_port, median
WORK=$(mktemp -d)
SERVE_PID=""
cleanup() {
    if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
MACHINES=10000
ROUNDS=${BENCH_ROUNDS:-15}

cp -r "$ROOT/profiles" "$WORK/data"
rm -rf "$WORK/data/state"
"$KILN" token add bench --scope read --tokens-file "$WORK/tokens" >"$WORK/token"
HTTP_PORT=$(free_port); API_PORT=$(free_port)
"$KILN" serve --data-path "$WORK/data" --address "127.0.0.1:$HTTP_PORT" --tftp-address "" --state-path "$WORK/state" \
    --api-address "127.0.0.1:$API_PORT" --api-tokens "$WORK/tokens" --log-level warning >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
UI="http://127.0.0.1:$API_PORT"
for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 1 "$UI/ui/login" && break; sleep 0.1; done
DB="$WORK/state/inventory.sqlite"

python3 - "$DB" "$MACHINES" <<'PY'
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10)
count = int(sys.argv[2])
now = time.time()
stages = [0, 1, 2, 3, 4, 5, 5, 5]
endpoints = ["dhcp", "undionly.kpxe", "ipxe", "assets", "assets", "ignition"]
with db:
    for i in range(count):
        mac = "52:54:00:%02x:%02x:%02x" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        stage = stages[i % len(stages)]
        error = "transfer ended after 512 of 1024 bytes" if i % 97 == 0 else None
        labels = json.dumps({"hostname": "node-%05d" % i, "uuid": "4c4c4544-%04d-%04d" % (i // 10000, i % 10000), "arch": "x86_64"}, sort_keys=True)
        group, profile = ("default", "flatcar-live") if stage else (None, None)
        db.execute("INSERT INTO machine (mac, first_seen, last_seen, labels, group_id, profile_id, stage, last_error, address, event_count)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 3)", (mac, now - 600, now - i % 600, labels, group, profile, stage, error, "10.0.%d.%d" % (i >> 8 & 255, i & 255)))
        for step in range(3):
            db.execute("INSERT INTO event (mac, time, kind, client, endpoint, target, status, bytes, duration, reason, stage, repeats)"
                       " VALUES (?, ?, 'http', ?, ?, '/x', 200, 1000, 0.001, NULL, ?, 1)",
                       (mac, now - 600 + step, "10.0.0.1", endpoints[(stage + step) % len(endpoints)], min(stage, step + 1)))
PY

TOKEN=$(cat "$WORK/token")
declare -A PAGES=(
    [overview]="/ui/"
    [text_search]="/ui/?q=node-0999"
    [stage_page_10]="/ui/?stage=config&page=10&size=100"
    [catalog]="/ui/catalog"
    [machine]="/ui/machines/52:54:00:00:27:0f"
)
ORDER=(overview text_search stage_page_10 catalog machine)
declare -A TIMES
PEER=()
for name in "${ORDER[@]}"; do
    code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$UI${PAGES[$name]}")
    [ "$code" = 200 ] || { echo "dashboard bench: $name answered $code"; tail -5 "$WORK/serve.log"; exit 1; }
done
grep -q 'Machines 1–200 of 10,000' <(curl -s -H "Authorization: Bearer $TOKEN" "$UI/ui/") || { echo "dashboard bench: the overview does not list 10,000 machines"; exit 1; }
PEER_SQL="SELECT COUNT(*) FROM machine; SELECT stage, COUNT(*), COUNT(CASE WHEN stage > 0 THEN last_error END) FROM machine GROUP BY stage;
SELECT mac, stage, json_extract(labels, '$.hostname'), group_id, profile_id, last_seen, last_error FROM machine ORDER BY mac LIMIT 200 OFFSET 0;"
for _ in $(seq 1 "$ROUNDS"); do
    for name in "${ORDER[@]}"; do
        TIMES[$name]+="$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$UI${PAGES[$name]}") "
    done
    start=$(date +%s.%N); sqlite3 -html "$DB" "$PEER_SQL" >/dev/null; end=$(date +%s.%N)
    PEER+=("$(python3 -c "print(f'{$end - $start:.6f}')")")
done

ms() { python3 -c "print(f'{float($1) * 1000:.1f}')"; }
peer=$(median "${PEER[*]}" .6f)
echo "Dashboard at $MACHINES machines ($ROUNDS interleaved rounds, medians; curl's total time on loopback, release build)"
printf '  %-16s %9s  %s\n' page "ms" "vs sqlite3 -html (the overview's queries as an HTML table)"
for name in "${ORDER[@]}"; do
    value=$(median "${TIMES[$name]}" .6f)
    printf '  %-16s %9s  %sx\n' "$name" "$(ms "$value")" "$(python3 -c "print(f'{$value / $peer:.1f}')")"
done
printf '  %-16s %9s\n' "sqlite3 -html" "$(ms "$peer")"
overview=$(median "${TIMES[overview]}" .6f)
verdict=$(python3 -c "print('met' if $overview < 0.2 else 'MISSED')")
echo "  target: the overview at $MACHINES machines under 200 ms: $(ms "$overview") ms, $verdict"
