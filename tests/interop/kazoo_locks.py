#!/usr/bin/python3
"""kazoo's side of tests/recipes_interop_lock_test.ts.

    python3 kazoo_locks.py <hosts> <command> <path> <identifier> [args...]

Commands (times in ms):
    lock <rounds> <hold>             take kazoo's Lock `rounds` times, holding it `hold`
    election <rounds> <hold>         win kazoo's Election `rounds` times, leading `hold`
    semaphore <max> <rounds> <hold>  take a lease of kazoo's Semaphore `rounds` times
    lease <duration>                 try kazoo's NonBlockingLease once
    wlock <timeout>                  try kazoo's WriteLock, giving up after `timeout`
    rlock <hold>                     hold kazoo's ReadLock for `hold`
    contenders                       print kazoo's Lock.contenders()

Prints one JSON object per line: {"event": "ready"} once connected, then the
command's records ("held"/"led" with wall-clock "enter"/"exit" in ms), then
{"event": "done"}.
"""
import datetime
import sys
import time

from kazoo.exceptions import LockTimeout

from kzb_common import emit, kazoo_session


def now():
    return time.time() * 1000


def hold_for(ms):
    enter = now()
    time.sleep(ms / 1000)
    return enter, now()


def main():
    hosts, command, path, ident = sys.argv[1:5]
    args = sys.argv[5:]
    with kazoo_session(hosts) as zk:
        if command == "lock":
            rounds, hold = int(args[0]), float(args[1])
            lock = zk.Lock(path, ident)
            for _ in range(rounds):
                lock.acquire(timeout=30)
                enter, exit_ = hold_for(hold)
                lock.release()
                emit(event="held", enter=enter, exit=exit_)
        elif command == "election":
            rounds, hold = int(args[0]), float(args[1])
            election = zk.Election(path, ident)
            for _ in range(rounds):
                terms = []
                election.run(lambda: terms.append(hold_for(hold)))
                emit(event="led", enter=terms[0][0], exit=terms[0][1])
        elif command == "semaphore":
            max_leases, rounds, hold = int(args[0]), int(args[1]), float(args[2])
            semaphore = zk.Semaphore(path, ident, max_leases=max_leases)
            for _ in range(rounds):
                semaphore.acquire(timeout=30)
                enter, exit_ = hold_for(hold)
                semaphore.release()
                emit(event="held", enter=enter, exit=exit_)
        elif command == "lease":
            duration = datetime.timedelta(milliseconds=float(args[0]))
            lease = zk.NonBlockingLease(path, duration, identifier=ident)
            emit(event="lease", obtained=bool(lease))
        elif command == "wlock":
            lock = zk.WriteLock(path, ident)
            try:
                lock.acquire(timeout=float(args[0]) / 1000)
            except LockTimeout:
                emit(event="wlock", acquired=False)
            else:
                emit(event="wlock", acquired=True, at=now())
                lock.release()
        elif command == "rlock":
            lock = zk.ReadLock(path, ident)
            lock.acquire(timeout=30)
            emit(event="rlock", enter=now())
            time.sleep(float(args[0]) / 1000)
            emit(event="released", exit=now())
            lock.release()
        elif command == "contenders":
            emit(event="contenders", contenders=zk.Lock(path).contenders())
        else:
            raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main()
