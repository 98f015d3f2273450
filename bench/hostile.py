#!/usr/bin/env python3
"""A well-behaved agent's ingest latency while hostile clients attack the listener (issue 15), on loopback.

usage: bench/hostile.py VIGIL_BINARY [SECONDS_PER_PHASE]

Starts `vigil serve` (default limits) on a temp store, then runs phases of SECONDS_PER_PHASE (default 20) each:
  baseline        nothing but the agent
  idle-2000       2,000 connections that connect and send nothing, from 127.0.0.2-9 (250 each)
  slow-headers    500 connections trickling a header byte a second
  unauth-bodies   100 connections announcing 8 MiB bodies with a wrong token, sending them slowly
  token-guessing  one client guessing tokens as fast as it can
Meanwhile the agent (127.0.0.1, one keep-alive connection) posts a 100-sample batch every 100 ms. Prints the
agent's p50/p99/max latency, its failures and the server's RSS per phase. Every attack stops by itself.
"""
import asyncio, http.client, json, os, re, socket, statistics, subprocess, sys, tempfile, threading, time

if sys.argv[1] == "--attack":  # the attacker, in a process of its own (so the agent's timing is not the GIL's)
    _, _, attack_name, port_text, secs_text = sys.argv
    port, phase_secs = int(port_text), float(secs_text)
else:
    binary = sys.argv[1]
    phase_secs = float(sys.argv[2]) if len(sys.argv) > 2 else 20
def start():
    global work, db, port, token, serve
    work = tempfile.mkdtemp(prefix="vigil-hostile-")
    db = os.path.join(work, "v.db")
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    token = subprocess.run([binary, "token", "create", "--host", "bench-1", "--db", db], capture_output=True, text=True).stdout.split()[0]
    serve = subprocess.Popen([binary, "serve", "--db", db, "--listen", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); break
        except OSError:
            time.sleep(0.1)

def rss_mib():
    with open(f"/proc/{serve.pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024

latencies, failures, stop_agent = [], [0], threading.Event()
def agent():
    conn, seq = None, 0
    while not stop_agent.is_set():
        seq += 1
        now = int(time.time() * 1000)
        body = json.dumps({"host": "bench-1", "batch": f"b-{seq}", "samples": [
            {"name": "bench.value", "value": i, "ts": now, "labels": {"i": str(i)}} for i in range(100)]})
        t0 = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/api/v1/ingest", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            r = conn.getresponse(); r.read()
            if r.status == 200:
                latencies.append((time.monotonic() - t0) * 1000)
            else:
                failures[0] += 1
        except Exception:
            failures[0] += 1
            conn = None
        time.sleep(max(0, 0.1 - (time.monotonic() - t0)))

async def hold(source, n, deadline, send=None, every=1.0):
    """n connections from `source`, each sending `send` (bytes, one at a time every `every` s) until the deadline."""
    async def one():
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        except OSError:
            return
        try:
            for b in (send or b""):
                if time.monotonic() > deadline: break
                w.write(bytes([b])); await w.drain(); await asyncio.sleep(every)
            # Wait, without polling, until the server closes the connection or the phase ends.
            await asyncio.wait_for(r.read(), timeout=max(0.01, deadline - time.monotonic()))
        except Exception:
            pass
        finally:
            w.close()
    await asyncio.gather(*(one() for _ in range(n)))

async def guess(deadline):
    i = 0
    while time.monotonic() < deadline:
        i += 1
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.3", 0))
            w.write(f"POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer vgl_guess{i}\r\nContent-Length: 0\r\n\r\n".encode())
            await w.drain(); await asyncio.wait_for(r.read(200), 2); w.close()
        except Exception:
            await asyncio.sleep(0.01)

async def phase(name):
    deadline = time.monotonic() + phase_secs
    if name == "idle-2000":
        await asyncio.gather(*(hold(f"127.0.0.{k}", 250, deadline) for k in range(2, 10)))
    elif name == "slow-headers":
        await asyncio.gather(*(hold(f"127.0.0.{k}", 250, deadline, b"POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n" * 4) for k in (4, 5)))
    elif name == "unauth-bodies":
        head = b"POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer vgl_wrong\r\nContent-Length: 8388608\r\n\r\n"
        await hold("127.0.0.6", 100, deadline, head + b"x" * 64, every=0.01)
    elif name == "token-guessing":
        await guess(deadline)
    else:
        await asyncio.sleep(phase_secs)

if sys.argv[1] == "--attack":
    asyncio.run(phase(attack_name))
    sys.exit(0)

start()
threading.Thread(target=agent, daemon=True).start()
time.sleep(2)
print(f"{'phase':16} {'batches':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'failed':>6} {'server RSS':>10}")
for name in ["baseline", "idle-2000", "slow-headers", "unauth-bodies", "token-guessing"]:
    start, fails0 = len(latencies), failures[0]
    subprocess.run([sys.executable, __file__, "--attack", name, str(port), str(phase_secs)])
    got = sorted(latencies[start:])
    p = lambda q: got[min(len(got) - 1, int(q * len(got)))] if got else float("nan")
    print(f"{name:16} {len(got):7d} {statistics.median(got) if got else float('nan'):7.1f} {p(0.99):7.1f} {max(got) if got else float('nan'):7.1f} "
          f"{failures[0] - fails0:6d} {rss_mib():8.0f} MiB", flush=True)
stop_agent.set()
serve.terminate(); serve.wait(10)
