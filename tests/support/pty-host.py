#!/usr/bin/env python3
"""Run a command in a new pseudo-terminal, as a terminal emulator would.

What arrives on this program's stdin is typed into the terminal; what the command writes to
the terminal comes out on stdout, byte for byte. End of stdin closes the terminal (the
master side), as closing a terminal window does: the kernel hangs up the command's session
(SIGHUP). Status lines go to stderr: `pty-host: pid N` at start, then `pty-host: exit CODE`
(negative: killed by that signal) or `pty-host: still running` if the command outlives the
hang-up by PTY_WAIT_S seconds. PTY_COLS and PTY_ROWS set the window size (120 x 40).
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

cols = int(os.environ.get("PTY_COLS", "120"))
rows = int(os.environ.get("PTY_ROWS", "40"))
wait_s = float(os.environ.get("PTY_WAIT_S", "20"))

pid, master = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])

sys.stderr.write(f"pty-host: pid {pid}\n")
sys.stderr.flush()


def report(status):
    sys.stderr.write(f"pty-host: exit {os.waitstatus_to_exitcode(status)}\n")
    sys.stderr.flush()


hung_up = False
while not hung_up:
    readable, _, _ = select.select([master, 0], [], [])
    if master in readable:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every slave descriptor is closed
            data = b""
        if not data:
            break
        os.write(1, data)
        for _ in range(data.count(b"\x1b[6n")):
            os.write(master, b"\x1b[1;1R")
    if 0 in readable:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            os.close(master)
            hung_up = True

if hung_up:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            report(status)
            sys.exit(0)
        time.sleep(0.05)
    sys.stderr.write("pty-host: still running\n")
    sys.exit(0)

_, status = os.waitpid(pid, 0)
report(status)
