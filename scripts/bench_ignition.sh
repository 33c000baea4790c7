#!/usr/bin/env bash
# make bench: /ignition rendering a ~5 KB Butane template per request
# (Go-template placeholders, then Butane → Ignition), against /ipxe on the
# same server in the same run. Targets: p99 < 5 ms, rate >= 0.3x /ipxe.
# Two cases: 2,000 machines whose rendered text all differ (no answer is
# ever served from a cache of answers: each request renders the template
# and fills its values into the template's translated shape), and machines
# that share one group's metadata. A third case serves the same config
# written as a Container Linux Config (translated to Ignition 2.2.0), each
# machine's text different, beside the Butane one.
set -euo pipefail
KILN=${1:?usage: bench_ignition.sh path/to/release/kiln}
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
ROUNDS=${BENCH_ROUNDS:-3}
. "$(dirname "$0")/bench-common.sh"

python3 - "$WORK" <<'PY'
import json, os, sys
work = sys.argv[1]
d = f"{work}/data"
for sub in ("groups", "profiles", "ignition", "files"):
    os.makedirs(f"{d}/{sub}")
json.dump({"id": "bench", "boot": {"kernel": "/assets/vmlinuz", "initrd": ["/assets/initrd.img"],
           "args": ["ignition.config.url=http://10.0.0.1:8080/ignition?mac=${mac:hexhyp}"]},
           "ignition_id": "bench.yaml"}, open(f"{d}/profiles/bench.json", "w"))
json.dump({"id": "shared", "ignition_id": "shared.yaml"}, open(f"{d}/profiles/shared.json", "w"))
json.dump({"id": "shared", "profile": "shared", "selector": {"role": "shared"}, "metadata": {"hostname": "rack1", "cluster": "rack1", "role": "worker",
           "ssh_authorized_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ops@example"]}}, open(f"{d}/groups/shared.json", "w"))
macs = []
for i in range(2000):
    mac = "52:54:00:00:%02x:%02x" % (i >> 8, i & 255)
    macs.append(mac.replace(":", "-"))
    json.dump({"id": f"node{i:03d}", "profile": "bench", "selector": {"mac": mac},
               "metadata": {"hostname": f"node{i:03d}.rack1.example.com", "cluster": "rack1", "role": "worker",
                            "ssh_authorized_keys": [f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{i:040d} ops@example"]}},
              open(f"{d}/groups/node{i:03d}.json", "w"))
units = "".join(f"""    - name: app-{n}.service
      enabled: true
      contents: |
        [Unit]
        Description=Application {n} on {{{{.hostname}}}}
        After=network-online.target
        Wants=network-online.target
        [Service]
        Environment=CLUSTER={{{{.cluster}}}} ROLE={{{{.role}}}} NODE={{{{.request.query.mac}}}}
        ExecStart=/usr/bin/podman run --rm --name app-{n} registry.example.com/app-{n}:1.{n}
        Restart=always
        [Install]
        WantedBy=multi-user.target
""" for n in range(8))
template = f"""variant: fcos
version: 1.5.0
passwd:
  users:
    - name: core
      ssh_authorized_keys:
{{{{- range .ssh_authorized_keys}}}}
        - {{{{.}}}}
{{{{- end}}}}
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      overwrite: true
      contents:
        inline: {{{{.hostname}}}}
    - path: /etc/kiln/machine.env
      mode: 0600
      contents:
        inline: |
          CLUSTER={{{{.cluster}}}}
          ROLE={{{{.role}}}}
          MAC={{{{.request.query.mac}}}}
    - path: /etc/motd
      mode: 0644
      contents:
        inline: |
          {{{{.hostname}}}} in {{{{.cluster}}}}: provisioned by Kiln. Unauthorised access prohibited.
          Contact the platform team before changing anything on this machine.
          Contact the platform team before changing anything on this machine.
systemd:
  units:
{units}"""
open(f"{d}/ignition/bench.yaml", "w").write(template)
open(f"{d}/ignition/shared.yaml", "w").write(template.replace("{{.request.query.mac}}", "{{.request.query.role}}"))
print(f"template: {len(template.encode())} bytes", file=sys.stderr)
# The same machine written as a CLC: the same users, files and units.
json.dump({"id": "clc", "ignition_id": "clc.yaml"}, open(f"{d}/profiles/clc.json", "w"))
json.dump({"id": "clc", "profile": "clc", "selector": {"role": "clc"}, "metadata": {"hostname": "rack1", "cluster": "rack1", "role": "worker",
           "ssh_authorized_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ops@example"]}}, open(f"{d}/groups/clc.json", "w"))
clc = template.replace("variant: fcos\nversion: 1.5.0\n", "").replace("      enabled: true\n", "      enable: true\n")
clc = clc.replace("    - path: /etc/", "    - filesystem: root\n      path: /etc/")
open(f"{d}/ignition/clc.yaml", "w").write(clc)
for name, path, extra in (("ignition", "ignition", ""), ("ipxe", "ipxe", ""), ("shared", "ignition", "role=shared&"), ("clc", "ignition", "role=clc&")):
    with open(f"{work}/{name}.lua", "w") as f:
        # The shared case uses MACs no node group selects, so the shared group wins.
        own = [m.replace("52-54-00", "52-54-01") for m in macs] if extra else macs
        f.write("local macs = {" + ",".join('"%s"' % m for m in own) + "}\nlocal i = 0\n")
        f.write('request = function()\n  i = i + 1\n  return wrk.format(nil, "/%s?%smac=" .. macs[(i %% #macs) + 1])\nend\n' % (path, extra))
PY

start_kiln "$WORK"
curl -sf "http://127.0.0.1:$PORT/ignition?mac=52-54-00-00-00-07" -o "$WORK/one.ign" || { echo "/ignition failed:"; curl -s "http://127.0.0.1:$PORT/ignition?mac=52-54-00-00-00-07"; cat "$WORK/kiln.log"; exit 1; }
grep -q '"version":"3.4.0"' "$WORK/one.ign" || { echo "unexpected /ignition answer"; head -c 300 "$WORK/one.ign"; exit 1; }
curl -sf "http://127.0.0.1:$PORT/ignition?role=clc&mac=52-54-01-00-00-07" -o "$WORK/one-clc.ign"
grep -q '"version":"2.2.0"' "$WORK/one-clc.ign" || { echo "unexpected CLC /ignition answer"; head -c 300 "$WORK/one-clc.ign"; exit 1; }

rate() {  # rate PATH: requests/s; p99 left in $WORK/wrk.out
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/$1.lua" "http://127.0.0.1:$PORT/" >"$WORK/wrk.out" 2>&1
    wrk_errors
    awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk.out"
}

echo "wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s on loopback, median of $ROUNDS interleaved rounds; 2,000 machines, one Butane template ($(stat -c %s "$WORK/data/ignition/bench.yaml") bytes, placeholders in every unit)"
echo "/ignition answer: $(stat -c %s "$WORK/one.ign") bytes of Ignition 3.4.0 JSON"
IPXE_RATES="" IGN_RATES="" IGN_P99S="" IPXE_P99S="" SHARED_RATES="" SHARED_P99S="" CLC_RATES="" CLC_P99S=""
for round in $(seq 1 "$ROUNDS"); do
    IPXE_RATES+="$(rate ipxe) "; IPXE_P99S+="$(p99) "
    IGN_RATES+="$(rate ignition) "; IGN_P99S+="$(p99) "
    SHARED_RATES+="$(rate shared) "; SHARED_P99S+="$(p99) "
    CLC_RATES+="$(rate clc) "; CLC_P99S+="$(p99) "
done
to_ms() { python3 -c "import sys; v=sorted(float(x[:-2]) if x.endswith('ms') else float(x[:-2])/1000 if x.endswith('us') else float(x[:-1])*1000 for x in sys.argv[1:]); print(f'{v[len(v)//2]:.2f}')" $1; }
IPXE=$(median "$IPXE_RATES"); IGN=$(median "$IGN_RATES")
IGN_P99=$(to_ms "$IGN_P99S"); IPXE_P99=$(to_ms "$IPXE_P99S")
printf "%-52s %8s req/s  p99 %s ms\n" "kiln /ipxe (same server, same run)" "$IPXE" "$IPXE_P99"
SHARED=$(median "$SHARED_RATES"); SHARED_P99=$(to_ms "$SHARED_P99S")
printf "%-52s %8s req/s  p99 %s ms\n" "kiln /ignition, every machine's text differs" "$IGN" "$IGN_P99"
printf "%-52s %8s req/s  p99 %s ms\n" "kiln /ignition, machines sharing a group's config" "$SHARED" "$SHARED_P99"
CLC=$(median "$CLC_RATES"); CLC_P99=$(to_ms "$CLC_P99S")
printf "%-52s %8s req/s  p99 %s ms\n" "kiln /ignition, the same as a CLC (Ignition 2.2.0)" "$CLC" "$CLC_P99"
RATIO=$(python3 -c "print(f'{$IGN / $IPXE:.2f}')")
SHARED_RATIO=$(python3 -c "print(f'{$SHARED / $IPXE:.2f}')")
echo
echo "kiln /ignition vs /ipxe, texts differ:         ${RATIO}x  (target >= 0.3: $(python3 -c "print('met' if $RATIO >= 0.3 else 'MISSED')")); p99 ${IGN_P99} ms (target < 5 ms: $(python3 -c "print('met' if $IGN_P99 < 5 else 'MISSED')"))"
echo "kiln /ignition vs /ipxe, shared config:        ${SHARED_RATIO}x  (target >= 0.3: $(python3 -c "print('met' if $SHARED_RATIO >= 0.3 else 'MISSED')")); p99 ${SHARED_P99} ms (target < 5 ms: $(python3 -c "print('met' if $SHARED_P99 < 5 else 'MISSED')"))"
CLC_RATIO=$(python3 -c "print(f'{$CLC / $IPXE:.2f}')")
echo "kiln /ignition vs /ipxe, CLC, texts differ:    ${CLC_RATIO}x  (target >= 0.3: $(python3 -c "print('met' if $CLC_RATIO >= 0.3 else 'MISSED')")); p99 ${CLC_P99} ms (target < 5 ms: $(python3 -c "print('met' if $CLC_P99 < 5 else 'MISSED')")); $(python3 -c "print(f'{$CLC / $IGN:.2f}')")x the Butane rate"
