#!/usr/bin/env python3
"""Sends one DHCP packet as a boot client would and prints the answer.

Used by peer-checks.sh against kiln serve --dhcp proxy on loopback:
    dhcp-probe.py HOST PORT KIND [TIMEOUT]
KIND: uefi-request (an EDK2 REQUEST, as sent to port 4011), ordinary (a
laptop's DISCOVER). Prints "op=... type=... file=... server=... class=..."
for an answer, or "no answer" after TIMEOUT seconds (default 2).
"""
import socket
import struct
import sys

host, port, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
mac = bytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x56])


def packet(options, ciaddr=b"\0\0\0\0"):
    header = struct.pack("!BBBBIHH", 1, 1, 6, 0, 0x2A2A2A2A, 0, 0) + ciaddr + b"\0" * 12
    header += mac + b"\0" * 10 + b"\0" * 64 + b"\0" * 128 + bytes([99, 130, 83, 99])
    body = b"".join(bytes([code, len(value)]) + value for code, value in options) + b"\xff"
    return (header + body).ljust(300, b"\0")


if kind == "uefi-request":
    data = packet([(53, b"\x03"), (57, b"\x05\xc0"), (93, b"\x00\x07"), (94, b"\x01\x03\x00"),
                   (97, b"\x00" + bytes(range(1, 17))), (60, b"PXEClient:Arch:00007:UNDI:003000")], ciaddr=bytes([127, 0, 0, 1]))
elif kind == "ordinary":
    data = packet([(53, b"\x01"), (61, b"\x01" + mac), (60, b"MSFT 5.0"), (55, bytes([1, 3, 6, 15]))])
else:
    sys.exit(f"unknown kind {kind}")

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
sock.settimeout(timeout)
sock.sendto(data, (host, port))
try:
    reply, _ = sock.recvfrom(2048)
except socket.timeout:
    print("no answer")
    sys.exit(0)
options, index = {}, 240
while index < len(reply) and reply[index] != 255:
    if reply[index] == 0:
        index += 1
        continue
    code, length = reply[index], reply[index + 1]
    options[code] = reply[index + 2:index + 2 + length]
    index += 2 + length
print("op=%d type=%d file=%s server=%s class=%s" % (
    reply[0], options.get(53, b"\0")[0], reply[108:236].split(b"\0")[0].decode(),
    socket.inet_ntoa(reply[20:24]), options.get(60, b"").decode()))
