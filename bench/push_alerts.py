#!/usr/bin/env python3
"""Pushes N firing alerts to a running `vigil serve` through Alertmanager's API (POST /api/v2/alerts), spread over
the store's hosts, in batches of 500: the load for the console at 10,000 alerts.

usage: bench/push_alerts.py URL TOKEN N [HOSTS]
TOKEN is an operator's user token (vigil user add NAME --role operator; vigil token create --user NAME).
HOSTS (default 1000) names hosts as `vigil demo --hosts` does beyond its named ones (node-1…); the alerts cycle through five rules and three severities.
"""
import json, sys, urllib.request

url, token, n = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
hosts = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
rules = ["DiskSpaceLow", "HighCPU", "MemoryPressure", "ServiceDown", "PacketLoss"]
severities = ["critical", "warning", "warning", "info", "info"]
batch = []
def flush():
    req = urllib.request.Request(url + "/api/v2/alerts", data=json.dumps(batch).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200, r.status
    batch.clear()
for i in range(n):
    r = (i // hosts) % len(rules)
    batch.append({"labels": {"alertname": rules[r], "host": f"node-{i % hosts + 1}", "severity": severities[r],
                             "instance": str(i // (hosts * len(rules)))},
                  "annotations": {"summary": f"{rules[r]} on node-{i % hosts + 1} (pushed #{i})"}})
    if len(batch) == 500:
        flush()
if batch:
    flush()
print(f"pushed {n} alerts")
