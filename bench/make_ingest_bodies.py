#!/usr/bin/env python3
"""Writes one ingest body per simulated agent: a batch of SERIES samples (plus a few log lines), gzip'd.

usage: make_ingest_bodies.py OUT_DIR HOSTS SERIES [--plain]
Each body is a distinct host (bench-0001 …) with SERIES series, like an agent with node_exporter-scale
metrics. Timestamps are "now", so run the load within 10 minutes (the listener refuses the future only).
"""
import gzip, json, os, random, sys, time

out, hosts, series = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
plain = "--plain" in sys.argv
os.makedirs(out, exist_ok=True)
now = int(time.time() * 1000)
names = ["cpu.usage_percent", "cpu.iowait_percent", "mem.used_percent", "load.1", "disk.used_percent",
         "net.rx_bytes_per_s", "net.tx_bytes_per_s", "proc.count", "tcp.established"]
rng = random.Random(1)
total = 0
for h in range(hosts):
    samples = []
    for s in range(series):
        name = names[s % len(names)]
        samples.append({"name": name, "value": round(rng.random() * 100, 3), "ts": now - rng.randint(0, 9999),
                        "labels": {"shard": str(s // len(names))}})
    body = {"host": "bench-%04d" % h, "labels": {"role": "bench"}, "samples": samples,
            "logs": [{"ts": now, "source": "/var/log/app.log", "level": "info", "message": "request served in %d ms" % rng.randint(1, 900)}]}
    data = json.dumps(body, separators=(",", ":")).encode()
    total += len(data)
    with open(os.path.join(out, "body-%04d.%s" % (h, "json" if plain else "json.gz")), "wb") as f:
        f.write(data if plain else gzip.compress(data, 6))
print("%d bodies, %d samples each, %.0f bytes of JSON per sample" % (hosts, series, total / (hosts * series)))
