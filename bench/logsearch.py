#!/usr/bin/env python3
"""Log ingest, search and live-tail latency, with the default configuration a user runs (`vigil serve` with the
embedded default rules, SQLite).

usage: bench/logsearch.py [BIN_DIR] [LINES] [RUNS]      (defaults: .build-release/release 1000000 7)

1. Ingest: LINES lines from the ten Loghub-2k files (../shared/data/loghub), over 50 hosts and their sources, spread
   over the last 24 h, pushed to `POST /api/v1/ingest` in batches of 2,000 by 4 concurrent agents. Prints lines/s
   (wall clock) and the serve's CPU seconds per million lines.
2. Search: each query through `GET /api/v1/logs?q=…&limit=100` (warm: the first run is dropped), median of RUNS,
   beside the peer, GNU grep over the same lines as a text file, asked the same question (the newest 100 matches:
   `tac FILE | grep -m 100`).
3. Tail: a console running the engine (under tmux, 160×48) follows every line (`L`, `f`); a line with a fresh word
   is pushed and the screen read every 2 ms until it shows: median and p90 from push to screen over 20 lines.
"""
import json, os, shutil, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
bin_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", ".build-release", "release")
total = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
vigil = os.path.abspath(os.path.join(bin_dir, "vigil"))
data = os.path.join(here, "..", "..", "shared", "data", "loghub")
work = tempfile.mkdtemp(prefix="vigil-logsearch.")
db = os.path.join(work, "vigil.db")
env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=work + "/.config", XDG_DATA_HOME=work + "/.local/share")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def run(*args):
    return subprocess.run([vigil, *args], env=env, capture_output=True, text=True, check=True).stdout.strip()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


levels = {"error": "error", "warn": "warning", "warning": "warning", "fatal": "critical", "info": "info", "debug": "debug"}
sources = {"Apache": "/var/log/apache2/error.log", "HDFS": "/var/log/hadoop/hdfs.log", "HPC": "/var/log/hpc.log",
           "HealthApp": "/var/log/health.log", "Linux": "/var/log/syslog", "OpenSSH": "/var/log/auth.log",
           "Proxifier": "/var/log/proxifier.log", "Spark": "/var/log/spark/spark.log", "Zookeeper": "/var/log/zookeeper.log",
           "Android": "/var/log/android.log"}
corpus = []
for name, source in sources.items():
    with open(os.path.join(data, name, f"{name}_2k.log"), errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            low = line.lower()
            level = next((v for k, v in levels.items() if k in low), "info")
            corpus.append((source, level, line))

port = free_port()
serve = subprocess.Popen([vigil, "serve", "--db", db, "--listen", f"127.0.0.1:{port}"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1); break
        except Exception:
            time.sleep(0.05)
    agent = run("token", "create", "--fleet", "--db", db)
    run("user", "add", "bench", "--role", "viewer", "--db", db)
    api = run("token", "create", "--user", "bench", "--db", db)

    # 1. Ingest.
    now = int(time.time() * 1000)
    start_ts = now - 86_400_000
    step = 86_400_000 / total
    text = open(os.path.join(work, "lines.txt"), "w")
    batches = []
    for b in range(0, total, 2000):
        host = f"host-{(b // 2000) % 50 + 1}"
        logs = []
        for i in range(b, min(b + 2000, total)):
            source, level, message = corpus[i % len(corpus)]
            logs.append({"ts": int(start_ts + i * step), "source": source, "level": level, "message": message})
            text.write(f"{host} {source} {level} {message}\n")
        batches.append(json.dumps({"host": host, "logs": logs}).encode())
    text.close()

    def push(bodies):
        for body in bodies:
            req = urllib.request.Request(url + "/api/v1/ingest", data=body, headers={
                "Content-Type": "application/json", "Authorization": "Bearer " + agent})
            urllib.request.urlopen(req, timeout=120).read()

    cpu0 = cpu_seconds(serve.pid)
    t0 = time.time()
    threads = [threading.Thread(target=push, args=(batches[k::4],)) for k in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    wall = time.time() - t0
    cpu = cpu_seconds(serve.pid) - cpu0
    print(f"ingest: {total:,} lines in {wall:.1f} s = {total / wall:,.0f} lines/s, serve {cpu / (total / 1e6):.2f} CPU-s per million lines")

    # 2. Search.
    queries = [
        ("text, one word", "failure"),
        ("text, a phrase", '"Connection closed"'),
        ("regex", r'/session opened for user \w+/'),
        ("host + time + level", "host:host-7 since:6h level>=error"),
        ("negation, rare", "-info -warning -error"),
    ]
    grep_args = {
        "text, one word": ["-w", "-i", "-F", "failure"],
        "text, a phrase": ["-i", "-F", "Connection closed"],
        "regex": ["-E", r"session opened for user [[:alnum:]_]+"],
    }
    print(f"{'query':<22} {'vigil median':>13} {'lines':>6} {'scanned':>8}   {'grep median':>11}  ratio")
    for label, q in queries:
        times = []
        found = None
        for r in range(runs + 1):
            t = time.time()
            req = urllib.request.Request(url + "/api/v1/logs?limit=100&q=" + urllib.parse.quote(q),
                                         headers={"Authorization": "Bearer " + api})
            with urllib.request.urlopen(req, timeout=600) as resp:
                found = json.loads(resp.read())
            if r > 0: times.append(time.time() - t)
        med = statistics.median(times) * 1000
        peer = ""
        if label in grep_args:
            gt = []
            for r in range(runs + 1):
                t = time.time()
                subprocess.run(f"tac {work}/lines.txt | grep -m 100 " + " ".join(f"'{a}'" for a in grep_args[label]),
                               shell=True, stdout=subprocess.DEVNULL)
                if r > 0: gt.append(time.time() - t)
            gmed = statistics.median(gt) * 1000
            peer = f"{gmed:>9.1f} ms  {med / gmed:.2f}×"
        print(f"{label:<22} {med:>10.1f} ms {len(found['lines']):>6} {found['scanned']:>8}   {peer}")
finally:
    serve.terminate(); serve.wait()

# 3. Tail latency, ingest to screen, on the same store (the console runs the engine).
if shutil.which("tmux"):
    port = free_port()
    session = f"vigil-tail-{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48",
                    f"env HOME={work} XDG_CONFIG_HOME={work}/.config XDG_DATA_HOME={work}/.local/share {vigil} --db {db} --listen 127.0.0.1:{port} --no-local-collector"])
    try:
        def screen():
            return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
        deadline = time.time() + 30
        while "hosts" not in screen() and time.time() < deadline: time.sleep(0.1)
        time.sleep(1)
        subprocess.run(["tmux", "send-keys", "-t", session, "L"]); time.sleep(1)
        subprocess.run(["tmux", "send-keys", "-t", session, "f"]); time.sleep(2)
        lat = []
        for k in range(20):
            word = f"tailprobe{k}x{os.getpid()}"
            body = json.dumps({"host": "host-1", "logs": [{"ts": int(time.time() * 1000), "source": "/var/log/probe.log",
                                                          "level": "info", "message": f"probe {word}"}]}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/ingest", data=body,
                                         headers={"Content-Type": "application/json", "Authorization": "Bearer " + agent})
            t = time.time()
            urllib.request.urlopen(req, timeout=30).read()
            while word not in screen():
                if time.time() - t > 10: break
                time.sleep(0.002)
            lat.append((time.time() - t) * 1000)
            time.sleep(0.3)
        lat.sort()
        print(f"tail: push to screen median {statistics.median(lat):.0f} ms, p90 {lat[int(len(lat) * 0.9) - 1]:.0f} ms over {len(lat)} lines (includes the HTTP push and a tmux capture every 2 ms)")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])
shutil.rmtree(work, ignore_errors=True)
