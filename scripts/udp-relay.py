#!/usr/bin/env python3
"""A UDP relay between one TFTP client and a TFTP server that drops and
delays packets, for tests and benchmarks (tc netem is not available here).

The client talks to the relay's port. The relay forwards the client's first
packets to the server's listening port and, once the server answers from a
transfer port (a new TID), forwards the client's later packets there; the
server's packets go back to the client from the relay's port. One client
session at a time; a new request from the client starts over.

Prints the port it listens on, then runs until killed or --max-seconds.
"""
import argparse
import asyncio
import random
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="server host:port")
    parser.add_argument("--loss", type=float, default=0.0, help="drop probability per packet, each direction")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay added to every packet")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    asyncio.run(relay((host, int(port)), args))


async def relay(target, args):
    loop = asyncio.get_running_loop()
    rng = random.Random(args.seed)
    delay = args.delay_ms / 1000.0
    state = {"client": None, "server": target}

    def deliver(transport, data, address):
        if rng.random() < args.loss:
            return
        if delay > 0:
            loop.call_later(delay, transport.sendto, data, address)
        else:
            transport.sendto(data, address)

    class FromClient(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.transport = transport

        def datagram_received(self, data, address):
            if data[:2] in (b"\x00\x01", b"\x00\x02"):
                state["server"] = target  # a new request goes to the listening port
            state["client"] = address
            deliver(to_server.transport, data, state["server"])

    class FromServer(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.transport = transport

        def datagram_received(self, data, address):
            state["server"] = address
            if state["client"] is not None:
                deliver(from_client.transport, data, state["client"])

    _, from_client = await loop.create_datagram_endpoint(FromClient, local_addr=("127.0.0.1", 0))
    _, to_server = await loop.create_datagram_endpoint(FromServer, local_addr=("127.0.0.1", 0))
    print(from_client.transport.get_extra_info("sockname")[1], flush=True)
    await asyncio.sleep(args.max_seconds)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
