#!/usr/bin/env python3
"""No client can starve the rest (make test, from peer-checks.sh).

Against a running `kiln serve` (its HTTP port, TFTP port and PID given):
5,000 connections that send half a request or nothing are held open, and
while they are, a new /ipxe is answered within 100 ms and a TFTP transfer
completes; after the header timeout every one of them has been closed by
Kiln (counted); a slow reader of a 1 GiB asset leaves Kiln's memory
bounded. Every wait is bounded; every socket is closed on every path.
"""
import resource
import select
import socket
import subprocess
import sys
import time

HTTP_PORT, TFTP_PORT, PID, HEADER_TIMEOUT, WORK = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
COUNT = 5000
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)


def rss_kib():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

held = []
try:
    started = time.monotonic()
    for index in range(COUNT):
        connection = socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=5)
        if index % 2 == 0:
            connection.sendall(b"GET /ipxe?mac=52:54:00:")  # half a request line, never finished
        held.append(connection)
    opened = time.monotonic() - started
    poller = select.poll()
    for connection in held:
        poller.register(connection.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    closed_early = len(poller.poll(0))
    check(f"{COUNT} half-sent or idle connections open (in {opened:.1f} s), none closed yet", len(held) == COUNT and closed_early == 0,
          f"{closed_early} already closed: raise the header timeout")

    timings = []
    for _ in range(5):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                              f"http://127.0.0.1:{HTTP_PORT}/ipxe?mac=52:54:00:12:34:56"], capture_output=True, text=True, timeout=10)
        code, seconds = out.stdout.split()
        timings.append((code, float(seconds)))
    best = min(seconds for _, seconds in timings)
    median = sorted(seconds for _, seconds in timings)[2]
    check(f"meanwhile a new /ipxe is answered within 100 ms (median of 5: {median * 1000:.1f} ms)",
          all(code == "200" for code, _ in timings) and median < 0.1, f"{timings}")
    tftp = subprocess.run(["tftp", "127.0.0.1", str(TFTP_PORT), "-m", "binary", "-c", "get", "a.txt", f"{WORK}/limits-a.tftp"],
                          capture_output=True, text=True, timeout=30)
    check("and a TFTP transfer completes", tftp.returncode == 0 and open(f"{WORK}/limits-a.tftp").read() == "asset\n", tftp.stderr)

    # Kiln closes each at its header timeout: count the ones that read EOF.
    deadline = time.monotonic() + HEADER_TIMEOUT + 15
    by_descriptor = {connection.fileno(): connection for connection in held}
    open_ones = set(by_descriptor)
    while open_ones and time.monotonic() < deadline:
        for descriptor, _ in poller.poll(500):
            try:
                data = by_descriptor[descriptor].recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if data == b"":
                open_ones.discard(descriptor)
                poller.unregister(descriptor)
    closed = COUNT - len(open_ones)
    check(f"after the header timeout ({HEADER_TIMEOUT:.0f} s) Kiln has closed them: {closed} of {COUNT}", closed == COUNT)
finally:
    for connection in held:
        connection.close()

# A slow reader of a 1 GiB asset: Kiln must not buffer the file for it.
with open(f"{WORK}/assets/big.img", "wb") as big:
    big.truncate(1 << 30)
before = rss_kib()
reader = socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=10)
try:
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    reader.sendall(b"GET /assets/big.img HTTP/1.1\r\nHost: kiln\r\n\r\n")
    got = 0
    while got < (1 << 20):
        chunk = reader.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    time.sleep(3)  # reading nothing while Kiln would like to send
    grown = rss_kib() - before
    check(f"a slow reader of a 1 GiB asset holds Kiln's memory bounded (RSS grew {grown / 1024:.1f} MiB after 1 MiB read)",
          got >= (1 << 20) and grown < 64 * 1024, f"read {got}, grew {grown} KiB")
finally:
    reader.close()

print(f"limits-checks: {sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
