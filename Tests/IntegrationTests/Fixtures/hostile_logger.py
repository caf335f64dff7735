"""Writes TOTAL bytes of numbered 1 KiB lines to stdout (one write per line), then appends
"wrote N lines" to the progress file, then writes a line every 10 ms for ever (so the
output keeps coming while the test looks). Usage: hostile_logger.py TOTAL PROGRESS"""
import os
import sys
import time

total, progress = int(sys.argv[1]), sys.argv[2]
pad = "x" * 1000
lines = 0
written = 0
while written < total:
    line = ("%08d %s\n" % (lines, pad)).encode()
    os.write(1, line)
    written += len(line)
    lines += 1
fd = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, ("wrote %d lines\n" % lines).encode())
os.close(fd)
while True:
    os.write(1, ("%08d %s\n" % (lines, pad)).encode())
    lines += 1
    time.sleep(0.01)
