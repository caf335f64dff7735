"""Leaves a daemon behind (double fork + setsid, stdio on /dev/null).

daemon.py --marker FILE [--ignore-term]
The daemon appends "daemon got TERM" to FILE on SIGTERM and exits (or ignores SIGTERM with
--ignore-term). The main process prints "daemon pid PID" (as seen in its PID namespace),
waits for a line on stdin (at most 30 s), prints "main exiting" and exits 0.
"""
import os
import select
import signal
import sys


def say(text):
    """One write per line: lines from several processes never interleave."""
    os.write(1, (text + "\n").encode())


marker = sys.argv[sys.argv.index("--marker") + 1]
ignore = "--ignore-term" in sys.argv

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(r)
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        os.chdir("/")
        if ignore:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            def on_term(sig, frame):
                with open(marker, "a") as f:
                    f.write("daemon got TERM\n")
                os._exit(0)
            signal.signal(signal.SIGTERM, on_term)
        os.write(w, f"{os.getpid()}\n".encode())
        os.close(w)
        while True:
            signal.pause()
    os._exit(0)
os.close(w)
os.waitpid(pid, 0)
data = b""
while not data.endswith(b"\n"):
    chunk = os.read(r, 64)
    if not chunk:
        break
    data += chunk
os.close(r)
say(f"daemon pid {int(data)}")
ready, _, _ = select.select([sys.stdin], [], [], 30)
if ready:
    sys.stdin.readline()
say("main exiting")
