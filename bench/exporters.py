#!/usr/bin/env python3
"""Synthetic Prometheus targets for the peer side of bench/prometheus.sh: TARGETS exporters on consecutive loopback
ports from BASE_PORT, each answering /metrics with SERIES series named and labelled as bench/make_ingest_bodies.py
makes them for Vigil (cpu_usage_percent{shard="0"} …), with fresh random values every scrape. One asyncio process.

usage: bench/exporters.py BASE_PORT TARGETS SERIES
"""
import asyncio, random, sys

base, targets, series = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
names = ["cpu_usage_percent", "cpu_iowait_percent", "mem_used_percent", "load_1", "disk_used_percent",
         "net_rx_bytes_per_s", "net_tx_bytes_per_s", "proc_count", "tcp_established"]
rng = random.Random(1)
lines = ['%s{shard="%d"} ' % (names[s % len(names)], s // len(names)) for s in range(series)]
# A few pre-built bodies, served in turn, so values change between scrapes without formatting per request.
bodies = []
for _ in range(16):
    text = "".join("%s%.3f\n" % (l, rng.random() * 100) for l in lines).encode()
    bodies.append(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %d\r\n\r\n" % len(text) + text)
turn = 0

async def handle(reader, writer):
    global turn
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head:
                break
            turn = (turn + 1) % len(bodies)
            writer.write(bodies[turn])
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    servers = [await asyncio.start_server(handle, "127.0.0.1", base + i, backlog=64) for i in range(targets)]
    print("serving %d targets of %d series on 127.0.0.1:%d-%d" % (targets, series, base, base + targets - 1), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))

asyncio.run(main())
