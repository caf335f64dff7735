"""Leaves N orphans behind (double fork, each orphan exits at once), then reports how many
zombies whose parent is swinit remain.

Prints:  reaper PID              (our parent: swinit)
         orphan adopted by PID   (the parent a probe orphan got when its own parent died)
         orphans N
         zombies N               (after polling /proc for up to 10 s until it is 0)
"""
import os
import sys
import time


def say(text):
    """One write per line: lines from several processes never interleave."""
    os.write(1, (text + "\n").encode())


count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
reaper = os.getppid()
say(f"reaper {reaper}")

# A probe orphan that lives until it has been re-parented, and says to whom.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    parent = os.getpid()
    if os.fork() == 0:
        deadline = time.monotonic() + 5
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.001)
        os.write(w, str(os.getppid()).encode())
        os._exit(0)
    os._exit(0)
os.close(w)
os.waitpid(pid, 0)
adopter = b""
while True:
    chunk = os.read(r, 64)
    if not chunk:
        break
    adopter += chunk
os.close(r)
say(f"orphan adopted by {adopter.decode() or 'nobody'}")

made = 0
for _ in range(count):
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)
    made += 1
say(f"orphans {made}")


def zombies():
    n = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2:].split()
        if fields[0] == b"Z" and int(fields[1]) == reaper:
            n += 1
    return n


deadline = time.monotonic() + 10
left = zombies()
while left and time.monotonic() < deadline:
    time.sleep(0.01)
    left = zombies()
say(f"zombies {left}")
