"""Prints "ready", sleeps 1.5 s, prints "tick", then waits for signals (SIGTERM kills it)."""
import signal
import time
import os


def say(text):
    """One write per line: lines from several processes never interleave."""
    os.write(1, (text + "\n").encode())


say("ready")
time.sleep(1.5)
say("tick")
while True:
    signal.pause()
