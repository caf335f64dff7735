"""Closes every descriptor it has (0, 1, 2 and the rest), then appends "up RUN PID" to the
events file (opened and closed again for each line). Runs 1 and 2 exit with code 3: run 1
once the release file exists (at most 10 s later), run 2 at once. Run 3 and later keep
running with no descriptors at all.

Usage: hostile_closer.py EVENTS RELEASE"""
import os
import sys
import time

events, release = sys.argv[1], sys.argv[2]
os.closerange(0, 65536)


def record(text):
    fd = os.open(events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (text + "\n").encode())
    finally:
        os.close(fd)


def runs():
    fd = os.open(events, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        data = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    return data.count(b"up ")


run = runs() + 1
open_now = len(os.listdir("/proc/self/fd"))  # the listing's own descriptor only
record("up %d %d fds=%d" % (run, os.getpid(), open_now - 1))
if run == 1:
    deadline = time.monotonic() + 10
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)
    sys.exit(3)
if run == 2:
    sys.exit(3)
while True:
    time.sleep(1000)
