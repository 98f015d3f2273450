#!/usr/bin/env python3
"""Ingest-to-firing latency: a breaching sample POSTed to the listener, timed until the alert is firing.

usage: bench/alert_latency.py BIN_DIR [SAMPLES] [--load]
Starts `vigil serve` on a temp store with one rule (`bench.trigger > 0`, for: 0s). For each sample a new host
posts one breaching value; the clock runs from just before the POST until GET /api/v1/alerts shows it firing
(polled every 5 ms, so figures include up to 5 ms of polling). With --load, wrk keeps 200 simulated agents x
1,000 series posting meanwhile (bench/ingest.lua), so every commit pokes the evaluator as in a busy fleet.
"""
import http.client, json, os, shutil, socket, subprocess, sys, tempfile, time

bindir = sys.argv[1]
samples = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("-") else 40
load = "--load" in sys.argv
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="vigil-latency.")
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
os.makedirs(f"{work}/rules")
with open(f"{work}/rules/bench.yaml", "w") as f:
    f.write("""groups:
  - name: bench
    rules:
      - alert: BenchBreach
        kind: threshold
        expr: {metric: bench.trigger, aggregate: last, window: 1m, op: ">", threshold: 0}
        for: 0s
        severity: critical
""")
db = f"{work}/v.db"
vigil = os.path.join(bindir, "vigil")
agent_token = subprocess.run([vigil, "token", "create", "--fleet", "--db", db], capture_output=True, text=True, check=True).stdout.strip()
user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
api_token = subprocess.run([vigil, "token", "create", "--user", user, "--db", db], capture_output=True, text=True, check=True).stdout.strip()
serve = subprocess.Popen([vigil, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", "--rules", f"{work}/rules"],
                         stderr=subprocess.DEVNULL)
wrk = None
try:
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1); c.request("GET", "/healthz")
            if c.getresponse().status == 200: break
        except OSError:
            time.sleep(0.1)
    time.sleep(1)  # the lease is taken a moment after the listener starts
    if load:
        subprocess.run([sys.executable, f"{here}/make_ingest_bodies.py", f"{work}/bodies", "200", "1000"], check=True, capture_output=True)
        env = dict(os.environ, BODIES=f"{work}/bodies", TOKEN=agent_token, GZIP="1")
        wrk = subprocess.Popen(["wrk", "-t1", "-c8", "-d600s", "-s", f"{here}/ingest.lua", f"http://127.0.0.1:{port}"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)
    post = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    get = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    lat = []
    for i in range(samples):
        host = f"lat-{i:04d}"
        body = json.dumps({"host": host, "samples": [{"name": "bench.trigger", "value": 1, "ts": int(time.time() * 1000)}]})
        t0 = time.monotonic()
        post.request("POST", "/api/v1/ingest", body, {"Authorization": f"Bearer {agent_token}", "Content-Type": "application/json"})
        r = post.getresponse(); r.read()
        assert r.status == 200, r.status
        while True:
            get.request("GET", f"/api/v1/alerts?state=firing&host={host}", headers={"Authorization": f"Bearer {api_token}"})
            g = get.getresponse(); data = g.read()
            if g.status == 200 and b"BenchBreach" in data:
                break
            if time.monotonic() - t0 > 10:
                raise SystemExit(f"no firing alert for {host} after 10 s")
            time.sleep(0.005)
        lat.append((time.monotonic() - t0) * 1000)
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"ingest-to-firing ({'under load' if load else 'idle'}), {len(lat)} samples: p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {lat[-1]:.0f} ms")
finally:
    if wrk: wrk.terminate()
    serve.terminate(); serve.wait()
    shutil.rmtree(work, ignore_errors=True)
