"""Runs a command on a new pseudo-terminal, driven through stdin/stdout.

pty_driver.py -- PROG ARGS...
    Starts PROG in a new session with a new pty as stdin/stdout/stderr (not yet its
    controlling terminal). Relays the terminal's output as "tty: LINE" lines on stdout.
    Reads commands on stdin: "send HEX" writes those bytes to the terminal (03 is Ctrl-C,
    1a is Ctrl-Z). When PROG ends prints "exit CODE" (128+N when killed by signal N).

pty_driver.py --leader -- PROG ARGS...
    Becomes a session leader, makes stdin (a terminal) its controlling terminal, so its
    process group is the terminal's foreground group, and execs PROG. Run inside the PID
    namespace, so that the process that becomes swinit (PID 1) owns the terminal, as in
    `docker run -it`.
"""
import errno
import fcntl
import os
import select
import sys
import termios


def leader(argv):
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    os.execvp(argv[0], argv)


def emit(line):
    sys.stdout.write("tty: " + line.replace("\r", "") + "\n")
    sys.stdout.flush()


def drive(argv):
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        os.close(master)
        os.execvp(argv[0], argv)
    os.close(slave)
    pending = b""
    commands = b""
    stdin_open = True
    status = None
    master_open = True
    while True:
        fds = [master] if master_open else []
        if stdin_open:
            fds.append(0)
        ready, _, _ = select.select(fds, [], [], 0.05)
        if master in ready:
            try:
                data = os.read(master, 4096)
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                master_open = False
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                emit(line.decode(errors="replace"))
        if 0 in ready:
            data = os.read(0, 4096)
            if not data:
                stdin_open = False
            commands += data
            while b"\n" in commands:
                line, commands = commands.split(b"\n", 1)
                words = line.decode().split()
                if len(words) == 2 and words[0] == "send":
                    os.write(master, bytes.fromhex(words[1]))
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
        if status is not None and (not master_open or not ready):
            break
    if pending:
        emit(pending.decode(errors="replace"))
    code = os.waitstatus_to_exitcode(status)
    print(f"exit {128 - code if code < 0 else code}", flush=True)


args = sys.argv[1:]
if args and args[0] == "--leader":
    leader(args[2:] if args[1:2] == ["--"] else args[1:])
else:
    drive(args[1:] if args[:1] == ["--"] else args)
