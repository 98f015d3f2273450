#!/usr/bin/env python3
"""Console costs in a real pseudo-terminal: cold start to first frame, bytes written per minute idle, CPU idle.

usage: bench/console.py [--collector] VIGIL_BINARY DB [SECONDS] [COLS] [ROWS]
Seed DB first (vigil demo --db DB --hosts 20). The console runs with an ephemeral listener port and, unless
--collector is given (the default a user runs), with --no-local-collector. A demo store stays alive: its
hosts report every 10 s, so their figures change on screen as they would on a real fleet.
"""
import os, pty, select, signal, struct, sys, fcntl, termios, time

collector = "--collector" in sys.argv
if collector:
    sys.argv.remove("--collector")
binary, db = sys.argv[1], sys.argv[2]
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 60
cols = int(sys.argv[4]) if len(sys.argv) > 4 else 160
rows = int(sys.argv[5]) if len(sys.argv) > 5 else 48

t0 = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.environ.update({"TERM": "xterm-256color", "LANG": "C.UTF-8"})
    os.execv(binary, [binary, "--db", db, "--listen", "127.0.0.1:0"] + ([] if collector else ["--no-local-collector"]))
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
os.kill(pid, signal.SIGWINCH)

buf = b""
first_byte = first_frame = None
while time.monotonic() - t0 < 30:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        chunk = os.read(fd, 65536)
        if first_byte is None:
            first_byte = time.monotonic() - t0
        buf += chunk
        # The first frame with data: the header sums up the fleet ("N hosts … mean health"), shown once hosts are read.
        if b"mean health" in buf:
            first_frame = time.monotonic() - t0
            break
first_paint_bytes = len(buf)
# Let the first refresh settle, then count an idle window.
settle_end = time.monotonic() + 3
while time.monotonic() < settle_end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        os.read(fd, 65536)
def cpu_seconds(p):
    with open(f"/proc/{p}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

idle = 0
writes = 0
cpu0, w0 = cpu_seconds(pid), time.monotonic()
end = time.monotonic() + secs
while time.monotonic() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        n = len(os.read(fd, 65536))
        idle += n
        writes += 1
cpu_idle = (cpu_seconds(pid) - cpu0) / (time.monotonic() - w0)
os.write(fd, b"q")
time.sleep(0.5)
try:
    os.kill(pid, signal.SIGTERM)
except ProcessLookupError:
    pass
print(f"terminal {cols}x{rows}: first byte {first_byte*1000:.0f} ms, first frame with data {first_frame*1000:.0f} ms "
      f"({first_paint_bytes} bytes)")
print(f"idle dashboard{' (collector on)' if collector else ''}: {idle} bytes in {secs:.0f} s = {idle / secs * 60:.0f} bytes/min ({writes} writes), "
      f"{cpu_idle * 100:.1f} % of a core")
