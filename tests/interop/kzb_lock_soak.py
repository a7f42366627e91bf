#!/usr/bin/python3
"""kazoo's side of the lock soak in tests/recipes_lock_soak_test.ts.

    python3 kzb_lock_soak.py <hosts> <path> <log file> <name>

Takes kazoo's Lock on <path> again and again until a line arrives on stdin.
Each hold is appended to <log file> (one write(2) with O_APPEND, so the file
orders the events of every process) as "acquire <id>", then "release <id>"
before the lock is given back, or "abort <id>" as soon as the connection
state listener sees SUSPENDED or LOST during the hold (from then on kazoo's
user would know the lock may be gone). Prints {"event": "ready"}, then
{"event": "finished", "holds": n, "errors": e} and {"event": "done"}.
"""
import os
import random
import sys
import threading
import time

from kazoo.client import KazooState

from kzb_common import emit, kazoo_session


def main():
    hosts, path, log_path, name = sys.argv[1:5]
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    mutex = threading.Lock()
    state = {"generation": 0, "current": None}
    stop = threading.Event()

    def log(what, hold):
        os.write(log_fd, ("%s %s\n" % (what, hold)).encode())

    def listener(new_state):
        if new_state in (KazooState.SUSPENDED, KazooState.LOST):
            with mutex:
                state["generation"] += 1
                if state["current"] is not None:
                    log("abort", state["current"])
                    state["current"] = None

    def wait_for_stop():
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    holds = errors = 0
    try:
        with kazoo_session(hosts) as zk:
            zk.add_listener(listener)
            while not stop.is_set():
                lock = zk.Lock(path, name)
                with mutex:
                    generation = state["generation"]
                try:
                    got = lock.acquire(timeout=10)
                except Exception:
                    errors += 1
                    time.sleep(0.05)
                    continue
                if not got:
                    continue
                hold = "%s:%d" % (name, holds)
                holds += 1
                with mutex:
                    log("acquire", hold)
                    if state["generation"] != generation or zk.state != KazooState.CONNECTED:
                        log("abort", hold)
                    else:
                        state["current"] = hold
                time.sleep(random.uniform(0, 0.005))
                with mutex:
                    if state["current"] == hold:
                        log("release", hold)
                        state["current"] = None
                try:
                    lock.release()
                except Exception:
                    errors += 1
            emit(event="finished", holds=holds, errors=errors)
    finally:
        os.close(log_fd)


if __name__ == "__main__":
    main()
