#!/usr/bin/python3
"""Drives a program through a pseudo-terminal for tests/cli_shell_test.ts.

    python3 cli_pty.py '<steps as JSON>' PROGRAM ARGS...

Each step is {"send": TEXT} (written as keystrokes, then 0.3 s of reading) and/or {"expect": REGEX}
(read until the output since the previous expect matches, 20 s at most).
Prints one JSON object: {"ok": bool, "failed": <the step that failed or
null>, "output": <everything read>, "status": <the exit status, or null
when it had to be killed>}.
"""
import json
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    steps = json.loads(sys.argv[1])
    argv = sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    output = b""
    mark = 0
    failed = None

    def read(deadline):
        nonlocal output
        r, _, _ = select.select([fd], [], [], max(0, min(0.1, deadline - time.time())))
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            output += chunk
        return True

    for step in steps:
        if "send" in step:
            os.write(fd, step["send"].encode())
            # Keystrokes that arrive together read as a paste, where Tab is text.
            pause = time.time() + 0.3
            while time.time() < pause and read(pause):
                pass
        if "expect" in step:
            pattern = re.compile(step["expect"].encode())
            deadline = time.time() + 20
            while True:
                match = pattern.search(output, mark)
                if match:
                    mark = match.end()
                    break
                if time.time() > deadline or not read(deadline):
                    failed = step
                    break
            if failed:
                break
    status = None
    deadline = time.time() + 20
    while time.time() < deadline:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            break
        read(time.time() + 0.1)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    print(json.dumps({
        "ok": failed is None,
        "failed": failed,
        "output": output.decode("utf-8", "replace"),
        "status": status,
    }))


main()
