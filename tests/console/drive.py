#!/usr/bin/env python3
"""Drives a program on a pseudo-terminal like a person would: waits for
output, types, presses keys. Used by tests/console.rs.

Usage: drive.py SCRIPT -- COMMAND...
SCRIPT is a file of steps, one per line:
    expect TEXT      wait (up to the timeout) until TEXT has appeared
    send TEXT        type TEXT (\\n, \\t, \\x03 escapes are understood)
    sleep SECONDS
Prints everything the program wrote; exits with the program's status, or
124 if a step timed out (the program is then killed)."""
import os, pty, select, signal, sys, time

TIMEOUT = 20.0

def main():
    sep = sys.argv.index("--")
    steps = open(sys.argv[1]).read().splitlines()
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    seen = b""
    def pump(deadline):
        nonlocal seen
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return False
            try:
                data = os.read(fd, 4096)
            except OSError:
                return None
            if not data:
                return None
            seen += data
            return True
    for step in steps:
        if not step.strip() or step.startswith("#"):
            continue
        verb, _, arg = step.partition(" ")
        text = arg.encode().decode("unicode_escape").encode("latin-1")
        if verb == "expect":
            deadline = time.monotonic() + TIMEOUT
            start = len(seen)
            while text not in seen[max(0, start - len(text)):] and text not in seen:
                if not pump(deadline):
                    sys.stdout.buffer.write(seen)
                    print(f"\n[drive.py: timed out waiting for {arg!r}]")
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    sys.exit(124)
        elif verb == "send":
            os.write(fd, text)
        elif verb == "sleep":
            time.sleep(float(arg))
    # Read until the program has exited (a read can fail transiently while
    # the terminal changes hands), then drain what is left.
    deadline = time.monotonic() + TIMEOUT
    status = None
    while time.monotonic() < deadline:
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid:
            status = st
            break
        if pump(time.monotonic() + 0.05) is None:
            time.sleep(0.05)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.stdout.buffer.write(seen)
        print("\n[drive.py: the program did not exit]")
        sys.exit(124)
    while pump(time.monotonic() + 0.2):
        pass
    sys.stdout.buffer.write(seen)
    sys.exit(os.waitstatus_to_exitcode(status) % 256)

main()
