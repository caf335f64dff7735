"""A bounded fork bomb: forks up to 10,000 children (each sleeps 30 s, then exits), stops at
the first failed fork (EAGAIN under an nproc limit), prints "made N children (errno NAME)",
then idles until it is stopped. The children sleep in the parent's process group."""
import errno
import os
import signal
import time


def say(text):
    os.write(1, (text + "\n").encode())


made = 0
reason = "limit of 10000 reached"
for _ in range(10000):
    try:
        pid = os.fork()
    except OSError as error:
        reason = "errno " + errno.errorcode.get(error.errno, str(error.errno))
        break
    if pid == 0:
        # The child: no Python cleanup, no buffered output of the parent's.
        try:
            time.sleep(30)
        finally:
            os._exit(0)
    made += 1
say("made %d children (%s)" % (made, reason))
while True:
    signal.pause()
