"""An interactive program on a terminal: default SIGINT (Ctrl-C kills it) and SIGTSTP (Ctrl-Z
stops it); prints "continued" on SIGCONT. Prints "foreground yes|no" (is its process group
the terminal's foreground group) and "ready"."""
import os
import signal


def say(text):
    """One write per line: lines from several processes never interleave."""
    os.write(1, (text + "\n").encode())


signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGCONT, lambda sig, frame: say("continued"))
foreground = os.tcgetpgrp(0) == os.getpgrp()
say(f"foreground {'yes' if foreground else 'no'}")
say("ready")
while True:
    signal.pause()
