"""Catches SIGTERM and SIGINT, says so ("stubborn got SIGTERM") and keeps running."""
import signal
import os


def say(text):
    """One write per line: lines from several processes never interleave."""
    os.write(1, (text + "\n").encode())



def handler(sig, frame):
    say(f"stubborn got {signal.Signals(sig).name}")


for s in (signal.SIGTERM, signal.SIGINT):
    signal.signal(s, handler)
say("ready")
while True:
    signal.pause()
