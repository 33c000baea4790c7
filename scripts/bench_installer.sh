#!/usr/bin/env bash
# make bench: GET /installer.iso for a 1 GiB CoreOS live ISO (a sparse image
# generated from coreos-installer's fixture, so it has the real embed and
# kernel-argument areas), against copying the same file with cp in the same
# run. Target: <= 1.3x the copy. Kiln's side is timed with curl discarding
# what it receives; curl writing the file is timed too, with curl copying
# the plain file from file:// to show what the client's own writing costs.
set -euo pipefail
KILN=${1:?usage: bench_installer.sh path/to/release/kiln}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURE="$ROOT/../shared/fixtures/coreos-iso/embed-areas-2023-07.x86_64.iso.xz"
ROUNDS=${BENCH_ROUNDS:-5}
[ -f "$FIXTURE" ] || { echo "installer ISO benchmark skipped: ../shared/fixtures is absent"; exit 0; }
. "$(dirname "$0")/bench-common.sh"

mkdir -p "$WORK/data/groups" "$WORK/data/profiles" "$WORK/data/ignition" "$WORK/assets/fcos"
xz -dc "$FIXTURE" >"$WORK/assets/fcos/live.iso"
truncate -s 1G "$WORK/assets/fcos/live.iso"
echo '{"id": "n1", "profile": "install", "selector": {"mac": "52:54:00:12:34:56"}, "metadata": {"hostname": "n1"}}' >"$WORK/data/groups/n1.json"
echo '{"id": "install", "ignition_id": "n.yaml", "installer_iso": "fcos/live.iso", "installer_dest_device": "/dev/sda", "installer_kargs_append": ["console=ttyS0"]}' >"$WORK/data/profiles/install.json"
printf 'variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: {{.hostname}}\n' >"$WORK/data/ignition/n.yaml"

start_kiln "$WORK/assets"
URL="http://127.0.0.1:$PORT/installer.iso?mac=52:54:00:12:34:56"
curl -sf -o "$WORK/check.iso" "$URL"
"$KILN" iso show "$WORK/check.iso" | grep -q "console=ttyS0" || { echo "GET /installer.iso did not give a customised ISO"; exit 1; }
rm -f "$WORK/check.iso"
rss() { awk '/VmHWM/ {print $2}' "/proc/$KILN_PID/status"; }
RSS_BEFORE=$(rss)

seconds() {  # seconds COMMAND...: wall time, starting with no dirty pages
    sync
    local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}
CP="" CPS="" HTTP="" NULL="" LOCAL=""
for _ in $(seq 1 "$ROUNDS"); do
    CP+="$(seconds cp --sparse=never "$WORK/assets/fcos/live.iso" "$WORK/copy.iso") "; rm -f "$WORK/copy.iso"
    HTTP+="$(seconds curl -sf -o "$WORK/got.iso" "$URL") "; rm -f "$WORK/got.iso"
    CPS+="$(seconds cp "$WORK/assets/fcos/live.iso" "$WORK/copy.iso") "; rm -f "$WORK/copy.iso"
    NULL+="$(seconds curl -sf -o /dev/null "$URL") "
    LOCAL+="$(seconds curl -sf -o "$WORK/local.iso" "file://$WORK/assets/fcos/live.iso") "; rm -f "$WORK/local.iso"
done
RSS_AFTER=$(rss)
M_CP=$(median "$CP" .3f); M_HTTP=$(median "$HTTP" .3f); M_CPS=$(median "$CPS" .3f); M_NULL=$(median "$NULL" .3f); M_LOCAL=$(median "$LOCAL" .3f)
echo "1 GiB CoreOS live ISO (sparse, real embed areas); median of $ROUNDS interleaved rounds, each after sync"
printf "%-62s %7s s\n" "cp --sparse=never (every byte written, as a download does)" "$M_CP"
printf "%-62s %7s s\n" "Kiln GET /installer.iso, curl writing the file" "$M_HTTP"
printf "%-62s %7s s\n" "cp (holes copied as holes)" "$M_CPS"
printf "%-62s %7s s\n" "Kiln GET /installer.iso, curl to /dev/null" "$M_NULL"
printf "%-62s %7s s\n" "curl copying the plain file from file:// (no HTTP, no Kiln)" "$M_LOCAL"
echo "Kiln's peak resident memory: $((RSS_BEFORE / 1024)) MB before, $((RSS_AFTER / 1024)) MB after $((ROUNDS * 2)) downloads"
echo
python3 -c "r = $M_NULL / $M_CP; print(f'Kiln producing and sending the customised ISO vs cp: {r:.2f}x  (target <= 1.3: ' + ('met' if r <= 1.3 else 'MISSED') + ')')"
python3 -c "r = $M_HTTP / $M_CP; l = $M_LOCAL / $M_CP; print(f'with curl writing the file: {r:.2f}x cp (curl writing a file from file:// alone: {l:.2f}x cp)')"
