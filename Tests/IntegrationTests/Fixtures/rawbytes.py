"""Bytes that are not UTF-8 in argv and the environment.

rawbytes.py launch SWINIT   execs SWINIT -- python3 rawbytes.py show ARG with ARG = b'\\xffa'
                            and X = b'\\xfeb' in the environment
rawbytes.py show ARG        prints "argv HEX" and "env HEX": ARG's and X's bytes
"""
import os
import sys

if sys.argv[1] == "launch":
    env = dict(os.environb)
    env[b"X"] = b"\xfeb"
    os.execve(sys.argv[2], [sys.argv[2], "--", sys.executable, __file__, "show", b"\xffa"], env)
else:
    print("argv " + os.fsencode(sys.argv[2]).hex(), flush=True)
    print("env " + os.environb[b"X"].hex(), flush=True)
