#!/usr/bin/env python3
"""The one-row-per-sample baseline beside `vigil db stats`: the demo fleet's shape (411 series; 7 days at 5-minute
steps, the last day at 1 minute, the last 30 minutes at 10 s; two-decimal values) stored as one SQLite row per
sample (series_id, ts, value; primary key (series_id, ts), WITHOUT ROWID, the most compact row layout), and the
table's bytes on disk per sample (dbstat).  usage: bench/row_per_sample.py [SERIES]"""
import os, random, sqlite3, sys, tempfile

series = int(sys.argv[1]) if len(sys.argv) > 1 else 411
now = 1_800_000_000_000
ts = sorted(set([now - 7 * 86_400_000 + i * 300_000 for i in range(7 * 288)] +
                [now - 86_400_000 + i * 60_000 for i in range(1440)] +
                [now - 1_800_000 + i * 10_000 for i in range(180)]))
path = os.path.join(tempfile.mkdtemp(), "rows.db")
db = sqlite3.connect(path)
db.execute("CREATE TABLE samples (series_id INTEGER, ts INTEGER, value REAL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID")
rng = random.Random(7)
n = 0
for s in range(series):
    level = rng.uniform(5, 90)
    rows = []
    for t in ts:
        level = min(100, max(0, level + rng.uniform(-2, 2)))
        rows.append((s, t, round(level, 2)))
    db.executemany("INSERT INTO samples VALUES (?, ?, ?)", rows)
    n += len(rows)
db.commit()
size = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'").fetchone()[0]
print(f"one row per sample: {n} samples in {size} bytes of table pages: {size / n:.2f} bytes/sample")
