#!/usr/bin/env python3
"""Breach-to-notification latency: Vigil beside Prometheus + Alertmanager, same receiver, same alerts.

usage: bench/notify_latency.py BIN_DIR [ALERTS] [--only vigil|default|tuned]
For each of ALERTS hosts (default 40) a metric goes from 0 to 100 at a staggered moment; the clock runs from that
moment until a webhook receiver on loopback gets a firing message naming the host. Three setups, one after the
other, each with its own receiver:

  vigil    `vigil serve` (BIN_DIR/vigil) with one threshold rule (`bench.value > 50`, for: 0s) and a webhook
           channel, group_by [alertname, host], group_wait 0s; the value arrives as an agent's POST (the clock
           starts just before it).
  default  Debian's `prometheus` scraping an exporter that starts serving the value at the moment, the same rule,
           and `prometheus-alertmanager` with its default timers (scrape and evaluation every 1m, group_wait 30s).
  tuned    the same with every timer at its minimum: scrape and evaluation every 1s, group_wait 0s,
           group_interval 1s.

Prints p50, p99 and max per setup. Loopback only; each setup stops what it started.
"""
import http.client, http.server, json, os, shutil, socket, subprocess, sys, tempfile, threading, time

bindir = sys.argv[1]
alerts = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("-") else 40
only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
work = tempfile.mkdtemp(prefix="vigil-notify-latency.")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


class Receiver:
    """Records when a firing message first names each host."""
    def __init__(self):
        self.first = {}
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.monotonic()
                try:
                    for a in json.loads(body).get("alerts", []):
                        if a.get("status") == "firing":
                            host = a.get("labels", {}).get("host")
                            with outer.lock:
                                outer.first.setdefault(host, now)
                except ValueError:
                    pass
                self.send_response(200); self.end_headers(); self.wfile.write(b"{}")

            def log_message(self, *a):
                pass
        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def wait_http(port, path, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1); c.request("GET", path)
            if c.getresponse().status == 200: return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"nothing answers on port {port}{path}")


def report(name, starts, receiver, deadline):
    while time.monotonic() < deadline and len(receiver.first) < len(starts):
        time.sleep(0.05)
    lat = sorted((receiver.first[h] - t) * 1000 for h, t in starts.items() if h in receiver.first)
    missing = len(starts) - len(lat)
    if not lat:
        print(f"{name:8s} no notification arrived"); return
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"{name:8s} {len(lat)} alerts: p50 {p(0.5):8.0f} ms   p99 {p(0.99):8.0f} ms   max {lat[-1]:8.0f} ms"
          + (f"   ({missing} never arrived)" if missing else ""), flush=True)


def run_vigil():
    receiver = Receiver()
    port = free_port()
    d = f"{work}/vigil"; os.makedirs(f"{d}/rules")
    with open(f"{d}/rules/bench.yaml", "w") as f:
        f.write("groups:\n  - name: bench\n    rules:\n      - alert: BenchBreach\n        kind: threshold\n"
                "        expr: {metric: bench.value, aggregate: last, window: 1m, op: \">\", threshold: 50}\n        for: 0s\n        severity: critical\n")
    with open(f"{d}/notify.yaml", "w") as f:
        f.write(f"channels:\n  - {{name: hook, kind: webhook, url: \"http://127.0.0.1:{receiver.port}/hook\"}}\n"
                "route: {receiver: hook, group_by: [alertname, host], group_wait: 0s, group_interval: 1s}\n")
    vigil = os.path.join(bindir, "vigil")
    token = subprocess.run([vigil, "token", "create", "--fleet", "--db", f"{d}/v.db"], capture_output=True, text=True, check=True).stdout.strip()
    serve = subprocess.Popen([vigil, "serve", "--db", f"{d}/v.db", "--listen", f"127.0.0.1:{port}", "--rules", f"{d}/rules",
                              "--notify", f"{d}/notify.yaml"], stderr=subprocess.DEVNULL)
    try:
        wait_http(port, "/healthz")
        time.sleep(6)  # the lease is taken a moment after the listener starts
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        def post(host, value):
            body = json.dumps({"host": host, "samples": [{"name": "bench.value", "value": value, "ts": int(time.time() * 1000)}]})
            c.request("POST", "/api/v1/ingest", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            r = c.getresponse(); r.read(); assert r.status == 200, r.status
        for i in range(alerts): post(f"h{i:03d}", 0)
        starts = {}
        begin = time.monotonic()
        for i in range(alerts):
            # Staggered over 10 s so the alerts meet the engine in different states.
            while time.monotonic() < begin + i * 10.0 / alerts: time.sleep(0.001)
            starts[f"h{i:03d}"] = time.monotonic()
            post(f"h{i:03d}", 100)
        report("vigil", starts, receiver, time.monotonic() + 30)
    finally:
        serve.terminate(); serve.wait(); receiver.stop()


class Exporter:
    """Serves bench_value{host=...} for Prometheus to scrape."""
    def __init__(self, hosts):
        self.values = {h: 0 for h in hosts}
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                text = "".join(f'bench_value{{host="{h}"}} {v}\n' for h, v in list(outer.values.items()))
                self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4"); self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *a):
                pass
        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def run_prometheus(name, scrape, evaluation, group_wait, group_interval, spread):
    receiver = Receiver()
    hosts = [f"h{i:03d}" for i in range(alerts)]
    exporter = Exporter(hosts)
    d = f"{work}/{name}"; os.makedirs(f"{d}/prom"); os.makedirs(f"{d}/am")
    am_port, prom_port = free_port(), free_port()
    with open(f"{d}/rules.yml", "w") as f:
        f.write("groups:\n  - name: bench\n    rules:\n      - alert: BenchBreach\n        expr: bench_value > 50\n        labels: {severity: critical}\n")
    with open(f"{d}/prometheus.yml", "w") as f:
        f.write((f"global: {{scrape_interval: {scrape}, evaluation_interval: {evaluation}}}\n" if scrape else "global: {}\n")
                + f"rule_files: [{d}/rules.yml]\n"
                f"alerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['127.0.0.1:{am_port}']}}]\n"
                f"scrape_configs:\n  - job_name: bench\n    honor_labels: true\n    static_configs: [{{targets: ['127.0.0.1:{exporter.port}']}}]\n")
    with open(f"{d}/alertmanager.yml", "w") as f:
        timers = f"  group_wait: {group_wait}\n  group_interval: {group_interval}\n" if group_wait else ""
        f.write(f"route:\n  receiver: hook\n  group_by: [alertname, host]\n{timers}"
                f"receivers:\n  - name: hook\n    webhook_configs: [{{url: 'http://127.0.0.1:{receiver.port}/hook'}}]\n")
    am = subprocess.Popen(["prometheus-alertmanager", f"--config.file={d}/alertmanager.yml", f"--storage.path={d}/am",
                           f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prom = subprocess.Popen(["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/prom",
                             f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(am_port, "/-/ready"); wait_http(prom_port, "/-/ready")
        time.sleep(3)
        starts = {}
        begin = time.monotonic()
        for i, h in enumerate(hosts):
            # Staggered over a scrape interval or more, so each alert meets the scrape and evaluation cycles at
            # a different phase.
            while time.monotonic() < begin + i * spread / alerts: time.sleep(0.001)
            starts[h] = time.monotonic()
            exporter.values[h] = 100
        report(name, starts, receiver, time.monotonic() + 300)
    finally:
        prom.terminate(); am.terminate(); prom.wait(); am.wait(); receiver.stop(); exporter.server.shutdown()


try:
    print(f"{alerts} alerts per setup, loopback, {os.cpu_count()} cores", flush=True)
    if only in (None, "vigil"): run_vigil()
    if only in (None, "tuned"): run_prometheus("tuned", "1s", "1s", "0s", "1s", 10.0)
    if only in (None, "default"): run_prometheus("default", None, None, None, None, 60.0)
finally:
    shutil.rmtree(work, ignore_errors=True)
