"""A child with a grandchild in its process group; both report the signals they get.

Prints "ready" once both have their handlers, then "<role> got SIGNAME" for each of HUP, INT,
QUIT, USR1, USR2, WINCH, TERM and RTMIN, role being "child" or "grandchild". On TERM or INT
the grandchild exits; the child waits (up to 1.5 s) for the grandchild to exit, prints
"child exiting" and exits 0.

--relay-probe: the child passes SIGRTMIN (and SIGTERM, SIGINT) on to the grandchild (a probe
for --single-child: once the grandchild reports it, any signal sent to it before has been
handled too).
"""
import os
import signal
import sys
import time


def say(text):
    """One write per line: lines from several processes never interleave."""
    os.write(1, (text + "\n").encode())


relay = "--relay-probe" in sys.argv
role = "child"
grandchild = 0
HANDLED = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
           signal.SIGWINCH, signal.SIGTERM, signal.SIGRTMIN]


def handler(sig, frame):
    say(f"{role} got {signal.Signals(sig).name}")
    if role == "child" and relay and sig in (signal.SIGRTMIN, signal.SIGTERM, signal.SIGINT) and grandchild:
        os.kill(grandchild, sig)
    if sig in (signal.SIGTERM, signal.SIGINT):
        if role == "child":
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                try:
                    done, _ = os.waitpid(grandchild, os.WNOHANG)
                except ChildProcessError:
                    break
                if done:
                    break
                time.sleep(0.01)
            say("child exiting")
        os._exit(0)


for s in HANDLED:
    signal.signal(s, handler)

r, w = os.pipe()
grandchild = os.fork()
if grandchild == 0:
    role = "grandchild"
    os.close(r)
    os.write(w, b"x")
    os.close(w)
    while True:
        signal.pause()
os.close(w)
os.read(r, 1)
os.close(r)
say("ready")
while True:
    signal.pause()
