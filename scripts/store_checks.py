#!/usr/bin/env python3
"""Three Kiln replicas on one three-member etcd cluster, all on loopback.

Run by scripts/store-checks.sh (make test): it starts Debian's etcd three
times, imports the example catalog, starts three `kiln serve --store`
replicas and checks what docs/scale-out.md promises. Every process started
here is stopped on every exit path; every wait is bounded.
"""
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

KILN = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = tempfile.mkdtemp(prefix="kiln-store-checks-")
PREFIX = "/kiln"
processes = {}
passed = failed = 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}", flush=True)
        if detail:
            for line in str(detail).splitlines()[:20]:
                print(f"     {line}", flush=True)


def http(method, url, body=None, headers=None, timeout=5):
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read(), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)
    except Exception as error:  # refused, reset, timed out
        return 0, str(error).encode(), {}


def wait_until(predicate, seconds, step=0.02):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --- etcd -----------------------------------------------------------------

ETCD = shutil.which("etcd") or "/usr/bin/etcd"
members = []
for index in range(3):
    members.append({"name": f"m{index}", "client": free_port(), "peer": free_port(), "data": os.path.join(WORK, f"etcd{index}")})
CLUSTER = ",".join(f"{m['name']}=http://127.0.0.1:{m['peer']}" for m in members)
STORE = "etcd://" + ",".join(f"127.0.0.1:{m['client']}" for m in members) + PREFIX


def start_etcd(member, state="new"):
    log = open(os.path.join(WORK, member["name"] + ".log"), "a")
    processes[member["name"]] = subprocess.Popen([
        ETCD, "--name", member["name"], "--data-dir", member["data"],
        "--listen-client-urls", f"http://127.0.0.1:{member['client']}", "--advertise-client-urls", f"http://127.0.0.1:{member['client']}",
        "--listen-peer-urls", f"http://127.0.0.1:{member['peer']}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{member['peer']}",
        "--initial-cluster", CLUSTER, "--initial-cluster-state", state, "--initial-cluster-token", "kiln-store-checks",
        "--auto-compaction-retention", "1h",
    ], stdout=log, stderr=log)


def etcd_call(member, path, body):
    status, reply, _ = http("POST", f"http://127.0.0.1:{member['client']}{path}", json.dumps(body), {"Content-Type": "application/json"}, timeout=3)
    return json.loads(reply) if status == 200 else None


def leader():
    for member in members:
        if member["name"] not in processes or processes[member["name"]].poll() is not None:
            continue
        status = etcd_call(member, "/v3/maintenance/status", {})
        if status and status.get("leader") and status["leader"] == status["header"]["member_id"]:
            return member
    return None


def stop(name, sig=signal.SIGTERM):
    process = processes.pop(name, None)
    if process and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def count_keys(prefix):
    import base64
    key = (PREFIX + prefix).encode()
    end = key[:-1] + bytes([key[-1] + 1])
    for member in members:
        reply = etcd_call(member, "/v3/kv/range", {"key": base64.b64encode(key).decode(), "range_end": base64.b64encode(end).decode(), "count_only": True})
        if reply is not None:
            return int(reply.get("count", 0))
    return -1


# --- Kiln -----------------------------------------------------------------

TOKENS = os.path.join(WORK, "tokens")
replicas = {}


def start_kiln(name):
    http_port, api_port = replicas[name]["http"], replicas[name]["api"]
    log = open(os.path.join(WORK, name + ".log"), "a")
    processes[name] = subprocess.Popen([
        KILN, "serve", "--store", STORE, "--data-path", os.path.join(WORK, "unused-data"), "--state-path", os.path.join(WORK, name + "-state"),
        "--address", f"127.0.0.1:{http_port}", "--tftp-address", "", "--api-address", f"127.0.0.1:{api_port}", "--api-tokens", TOKENS,
        "--log-level", "notice",
    ], stdout=log, stderr=log)


def boot(name, path):
    return http("GET", f"http://127.0.0.1:{replicas[name]['http']}{path}")[0]


def api(name, method, path, body=None, headers=None):
    all_headers = {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}
    all_headers.update(headers or {})
    return http(method, f"http://127.0.0.1:{replicas[name]['api']}{path}", body, all_headers)


def group(mac, profile="flatcar-live", name=None):
    """A group selecting one MAC, named g-<its last three bytes> (g-5c0001) unless named."""
    return json.dumps({"id": name or "g-" + mac.replace(":", "")[-6:], "profile": profile, "selector": {"mac": mac}})


def cleanup():
    for name in list(processes):
        stop(name, signal.SIGKILL if name.startswith("m") else signal.SIGTERM)
    shutil.rmtree(WORK, ignore_errors=True)


def main():
    try:
        run()
    finally:
        if failed:
            for name in ("a", "b", "c", "d"):
                path = os.path.join(WORK, name + ".log")
                if os.path.exists(path):
                    print(f"--- {name}.log (last lines)")
                    print("".join(open(path).readlines()[-15:]))
        cleanup()
    print(f"store checks: {passed} passed, {failed} failed")
    return 1 if failed else 0


def run():
    global ADMIN
    result = subprocess.run([KILN, "serve", "--store", "http://127.0.0.1:2379/kiln", "--data-path", WORK, "--tftp-address", ""],
                            capture_output=True, text=True, timeout=30)
    check("serve refuses a store that is not etcd:// with status 64", result.returncode == 64 and "etcd://HOST:PORT" in result.stderr, result.stderr)
    result = subprocess.run([KILN, "serve", "--store", "etcd://127.0.0.1:2379/kiln", "--store-cert", "/etc/hostname", "--data-path", WORK,
                             "--tftp-address", ""], capture_output=True, text=True, timeout=30)
    check("serve refuses a client certificate without its key", result.returncode == 64 and "go together" in result.stderr, result.stderr)
    result = subprocess.run([KILN, "store", "status", f"etcd://127.0.0.1:{free_port()}/kiln"], capture_output=True, text=True, timeout=60)
    check("kiln store status exits 3 when no member answers", result.returncode == 3 and "no endpoint" in result.stderr, result.stderr)
    for member in members:
        start_etcd(member)
    check("a three-member etcd cluster elects a leader", wait_until(lambda: leader() is not None, 20, 0.2))

    data = os.path.join(WORK, "data")
    shutil.copytree(os.path.join(ROOT, "profiles"), data, ignore=shutil.ignore_patterns("state", "assets"))
    result = subprocess.run([KILN, "store", "import", data, STORE], capture_output=True, text=True, timeout=60)
    check("kiln store import writes the example catalog", result.returncode == 0, result.stdout + result.stderr)
    result = subprocess.run([KILN, "store", "import", data, STORE], capture_output=True, text=True, timeout=60)
    check("a second import without --replace is refused", result.returncode == 1 and "already holds" in result.stderr, result.stderr)
    exported = os.path.join(WORK, "exported")
    result = subprocess.run([KILN, "store", "export", STORE, exported], capture_output=True, text=True, timeout=60)
    diff = subprocess.run(["diff", "-r", "-x", "files", "-x", "README*", data, exported], capture_output=True, text=True)
    check("import then export gives the data directory back byte for byte", result.returncode == 0 and diff.returncode == 0,
          result.stderr + diff.stdout[:2000])
    result = subprocess.run([KILN, "store", "status", STORE], capture_output=True, text=True, timeout=60)
    check("kiln store status shows the members, the leader and the key counts",
          result.returncode == 0 and result.stdout.count("etcd 3.") == 3 and "leader" in result.stdout and "groups" in result.stdout,
          result.stdout + result.stderr)

    ADMIN = subprocess.run([KILN, "token", "add", "admin", "--scope", "write", "--tokens-file", TOKENS],
                           capture_output=True, text=True, timeout=30).stdout.strip()
    for name in ("a", "b", "c"):
        replicas[name] = {"http": free_port(), "api": free_port()}
        start_kiln(name)
    up = all(wait_until(lambda n=n: boot(n, "/healthz") == 200, 20, 0.1) for n in ("a", "b", "c"))
    check("three Kiln replicas serve the catalog from etcd", up)
    if not up:
        return

    # A write through one replica serves on the others within a second.
    mac = "52:54:00:5c:00:01"
    status, reply, _ = api("a", "PUT", "/api/v1/groups/g-5c0001", group(mac))
    written = time.monotonic()
    check("a group written through replica a is accepted", status in (200, 201), reply[:300])
    served = {}
    for name in ("b", "c"):
        if wait_until(lambda n=name: boot(n, f"/ipxe?mac={mac}") == 200, 5, 0.01):
            served[name] = time.monotonic() - written
    check("replicas b and c serve it within 1 s", len(served) == 2 and max(served.values()) < 1.0,
          json.dumps({k: round(v, 3) for k, v in served.items()}))
    print(f"     (b after {served.get('b', -1):.3f} s, c after {served.get('c', -1):.3f} s)")

    # A deleted profile disappears from all.
    profile = json.dumps({"id": "short-lived", "boot": {"kernel": "/assets/k", "initrd": ["/assets/i"], "args": ["console=ttyS0"]}})
    api("a", "PUT", "/api/v1/profiles/short-lived", profile)
    check("a profile written through a is read through c",
          wait_until(lambda: api("c", "GET", "/api/v1/profiles/short-lived")[0] == 200, 2))
    status, reply, _ = api("b", "DELETE", "/api/v1/profiles/short-lived")
    check("the profile is deleted through b", status in (200, 204), reply[:300])
    check("the deleted profile is gone from a and c",
          wait_until(lambda: all(api(n, "GET", "/api/v1/profiles/short-lived")[0] == 404 for n in ("a", "c")), 2))

    # 50 conflicting writes with the same If-Match, spread over the replicas: exactly one wins.
    status, _, headers = api("a", "GET", "/api/v1/groups/g-5c0001")
    etag = headers.get("ETag") or headers.get("Etag")
    wait_until(lambda: all(api(n, "GET", "/api/v1/groups/g-5c0001")[2].get("ETag") == etag for n in ("b", "c")), 2)

    def contend(index):
        name = "abc"[index % 3]
        body = json.dumps(dict(json.loads(group(mac)), name=f"writer {index}"))
        return api(name, "PUT", "/api/v1/groups/g-5c0001", body, {"If-Match": etag})[0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(contend, range(50)))
    winners = statuses.count(200) + statuses.count(201)
    check("50 concurrent If-Match writes over three replicas: exactly one wins, the rest get 412",
          winners == 1 and statuses.count(412) == 49, json.dumps({s: statuses.count(s) for s in set(statuses)}))

    # A boot whose steps hit different replicas is one timeline everywhere.
    timeline_mac = "52:54:00:5c:00:02"
    api("a", "PUT", "/api/v1/groups/g-5c0002", group(timeline_mac))
    wait_until(lambda: all(boot(n, f"/ipxe?mac={timeline_mac}") == 200 for n in ("b", "c")), 2)
    boot("a", f"/ipxe?mac={timeline_mac}")
    time.sleep(0.2)
    boot("b", f"/ignition?mac={timeline_mac}")

    def merged(name):
        status, reply, _ = api(name, "GET", f"/api/v1/machines/{timeline_mac}/events")
        if status != 200:
            return False
        endpoints = [e.get("endpoint") for e in json.loads(reply).get("events", [])]
        return "ignition" in endpoints and endpoints.count("ipxe") >= 1
    check("an /ipxe from a and a config from b show as one timeline on all three",
          wait_until(lambda: all(merged(n) for n in ("a", "b", "c")), 6, 0.2),
          api("c", "GET", f"/api/v1/machines/{timeline_mac}/events")[1][:600])
    status, reply, _ = api("c", "GET", f"/api/v1/machines/{timeline_mac}")
    check("replica c reports the machine at the config stage", status == 200 and json.loads(reply).get("stage") == "config", reply[:300])

    # Kill the etcd leader under steady /ipxe load through all three replicas.
    stop_load = threading.Event()
    outcomes = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def load(name):
        while not stop_load.is_set():
            code = boot(name, f"/ipxe?mac={mac}")
            with lock:
                outcomes["ok" if code == 200 else "failed"] += 1
    threads = [threading.Thread(target=load, args=(n,)) for n in ("a", "b", "c") for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    old_leader = leader()
    stop(old_leader["name"], signal.SIGKILL)
    killed = time.monotonic()
    elected = wait_until(lambda: leader() is not None, 15, 0.2)
    written_again = wait_until(lambda: api("a", "PUT", "/api/v1/groups/g-5c0003", group("52:54:00:5c:00:03"))[0] in (200, 201), 15, 0.3)
    recovered = time.monotonic() - killed
    time.sleep(1)
    stop_load.set()
    for thread in threads:
        thread.join(timeout=10)
    check("killing the etcd leader under /ipxe load fails no request",
          outcomes["failed"] == 0 and outcomes["ok"] > 100, json.dumps(outcomes))
    check(f"a new leader is elected and writes succeed again ({recovered:.1f} s)", elected and written_again)
    start_etcd(old_leader, "existing")
    check("the killed member rejoins", wait_until(lambda: etcd_call(old_leader, "/v3/maintenance/status", {}) is not None, 20, 0.2))

    # All of etcd away for 10 s during boots.
    for member in members:
        stop(member["name"], signal.SIGKILL)
    outage_macs = {name: f"52:54:00:5d:00:0{i}" for i, name in enumerate(("a", "b", "c"), start=1)}
    boots = {name: [0, 0] for name in outage_macs}
    stop_boots = threading.Event()

    def boot_during_outage(name):
        machine = outage_macs[name]
        while not stop_boots.is_set():
            ok = boot(name, f"/ipxe?mac={mac}&uuid={machine}") == 200 and boot(name, f"/ipxe?mac={machine}") in (200, 404)
            with lock:
                boots[name][0 if ok else 1] += 1
            time.sleep(0.1)
    # A replica that starts while etcd is away has no catalog yet (and no kept copy): it must not serve, then must.
    replicas["d"] = {"http": free_port(), "api": free_port()}
    start_kiln("d")
    boot_threads = [threading.Thread(target=boot_during_outage, args=(n,)) for n in outage_macs]
    for thread in boot_threads:
        thread.start()
    started = time.monotonic()
    degraded = refused = False
    refusal = b""
    while time.monotonic() - started < 10:
        if not degraded:
            reply = http("GET", f"http://127.0.0.1:{replicas['b']['http']}/healthz")[1].decode()
            degraded = reply.startswith("degraded")
        if not refused:
            status, refusal, _ = http("PUT", f"http://127.0.0.1:{replicas['a']['api']}/api/v1/groups/g-5c0004", group("52:54:00:5c:00:04"),
                                      {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}, timeout=15)
            refused = status == 503
        time.sleep(0.5)
    stop_boots.set()
    for thread in boot_threads:
        thread.join(timeout=10)
    boots = {name: {"answered": ok, "failed": bad} for name, (ok, bad) in boots.items()}
    check("with etcd down for 10 s, every replica answers every boot",
          all(b["answered"] > 20 and b["failed"] == 0 for b in boots.values()), json.dumps(boots))
    check("with etcd down, /healthz says degraded", degraded)
    check("with etcd down, an API write answers 503 with the reason", refused, refusal[:300])
    metrics = http("GET", f"http://127.0.0.1:{replicas['c']['http']}/metrics")[1].decode()
    check("with etcd down, /metrics shows kiln_store_up 0", "kiln_store_up 0" in metrics, [l for l in metrics.splitlines() if "store" in l][:8])
    for member in members:
        start_etcd(member, "existing")
    check("a replica started during the outage does not claim to be healthy", boot("d", "/healthz") == 503)
    check("etcd comes back", wait_until(lambda: leader() is not None, 30, 0.2))
    check("the replica started during the outage serves once etcd is back",
          wait_until(lambda: boot("d", f"/ipxe?mac={mac}") == 200, 15, 0.2))
    stop("d")

    def events_everywhere():
        for name, machine in outage_macs.items():
            for reader in ("a", "b", "c"):
                status, reply, _ = api(reader, "GET", f"/api/v1/machines/{machine}/events")
                if status != 200 or len(json.loads(reply).get("events", [])) < 1:
                    return False
        return True
    check("the events buffered during the outage reach etcd and every replica", wait_until(events_everywhere, 20, 0.5))
    counted = {machine: count_keys(f"/inventory/events/{machine}/") for machine in outage_macs.values()}
    check("etcd holds each outage machine's events (one per boot, repeats folded)",
          all(count >= 1 for count in counted.values()), json.dumps(counted))
    check("/healthz is ok again", wait_until(lambda: http("GET", f"http://127.0.0.1:{replicas['a']['http']}/healthz")[1] == b"ok\n", 10, 0.5))
    check("API writes work again", wait_until(lambda: api("a", "PUT", "/api/v1/groups/g-5c0004", group("52:54:00:5c:00:04"))[0] in (200, 201), 15, 0.5))

    # One Kiln replica killed: the others are unaffected.
    stop("c", signal.SIGKILL)
    status, _, _ = api("a", "PUT", "/api/v1/groups/g-5c0005", group("52:54:00:5c:00:05"))
    check("with replica c killed, a write through a serves on b", status in (200, 201)
          and wait_until(lambda: boot("b", "/ipxe?mac=52:54:00:5c:00:05") == 200, 2))
    check("replicas a and b answer every boot", all(boot(n, f"/ipxe?mac={mac}") == 200 for n in ("a", "b") for _ in range(20)))
    start_kiln("c")
    check("replica c restarts and serves the newest catalog",
          wait_until(lambda: boot("c", "/ipxe?mac=52:54:00:5c:00:05") == 200, 20, 0.2))


if __name__ == "__main__":
    sys.exit(main())
