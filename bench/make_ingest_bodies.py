#!/usr/bin/env python3
"""Writes ingest bodies for simulated agents: each a batch of SERIES samples (plus a log line), gzip'd.

usage: make_ingest_bodies.py OUT_DIR HOSTS SERIES [--plain] [--rounds K --step-ms S [--quiet]]
Each body is a distinct host (bench-0001 …) with SERIES series, like an agent with node_exporter-scale
metrics. Timestamps are "now", so run the load within 10 minutes (the listener refuses the future only).

Without --rounds there is one body per host, and the load generator sends it again and again: every series has one
timestamp, so after the first request each sample only replaces itself (the store keeps them all until compaction,
but the rules and the anomaly scanner see one point per series). With --rounds K there are K bodies per host, named
in round order (all hosts' round 0, then round 1, …, which the wrk script sends in turn), round r stamped
S ms after round r - 1 from when the bodies are made, with values that change every round: every series gets a new point
per round, as agents reporting every S ms would.
With --quiet (and --rounds) the fleet is healthy: each series keeps a level between 5 and 50 and moves by at most
0.5 from it, so no default rule's threshold or forecast is reached. Without it each value is drawn from 0–100 every
round: about 8 % of the series are over a default threshold in some rounds and not in others, an alert storm of
thousands of alerts going pending and clearing every second.
"""
import gzip, json, os, random, sys, time

args = [a for a in sys.argv[1:]]
plain = "--plain" in args
quiet = "--quiet" in args
rounds, step = 1, 0
if "--rounds" in args:
    rounds = int(args[args.index("--rounds") + 1])
    step = int(args[args.index("--step-ms") + 1])
out, hosts, series = args[0], int(args[1]), int(args[2])
os.makedirs(out, exist_ok=True)
now = int(time.time() * 1000)
names = ["cpu.usage_percent", "cpu.iowait_percent", "mem.used_percent", "load.1", "disk.used_percent",
         "net.rx_bytes_per_s", "net.tx_bytes_per_s", "proc.count", "tcp.established"]
rng = random.Random(1)
total = 0


def write(index, data):
    name = "body-%06d.%s" % (index, "json" if plain else "json.gz")
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if plain else gzip.compress(data, 6))


def sample(s, jitter, level=None):
    """Series s of a host with a fresh value: at up to 10 s before now (`jitter`), or at @TS@, filled in per round;
    near `level` when one is given."""
    value = round(level + rng.uniform(-0.5, 0.5) if level is not None else rng.random() * 100, 3)
    ts = now - rng.randint(0, 9999) if jitter else "@TS@"
    return '{"name":"%s","value":%s,"ts":%s,"labels":{"shard":"%d"}}' % (names[s % len(names)], value, ts, s // len(names))


def body(h, samples, ts):
    return ('{"host":"bench-%04d","labels":{"role":"bench"},"samples":[%s],"logs":[{"ts":%s,"source":"/var/log/app.log",'
            '"level":"info","message":"request served in %d ms"}]}' % (h, ",".join(samples), ts, rng.randint(1, 900)))


if rounds == 1:
    for h in range(hosts):
        data = body(h, [sample(s, True) for s in range(series)], now).encode()
        total += len(data)
        write(h, data)
    print("%d bodies, %d samples each, %.0f bytes of JSON per sample" % (hosts, series, total / (hosts * series)))
    sys.exit(0)

# Rounds: per host, four sets of values (cycled) in a template whose timestamps are filled in per round.
start = now
levels = [[rng.uniform(5, 50) if quiet else None for s in range(series)] for h in range(hosts)]
templates = [[body(h, [sample(s, False, levels[h][s]) for s in range(series)], "@TS@") for _ in range(4)] for h in range(hosts)]
index = 0
for r in range(rounds):
    ts = str(start + r * step)
    for h in range(hosts):
        data = templates[h][r % 4].replace("@TS@", ts).encode()
        total += len(data)
        write(index, data)
        index += 1
print("%d bodies (%d rounds of %d hosts, %d ms apart), %d samples each, %.0f bytes of JSON per sample"
      % (index, rounds, hosts, step, series, total / (index * series)))
