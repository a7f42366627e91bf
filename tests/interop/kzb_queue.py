#!/usr/bin/python3
"""kazoo's side of the Queue checks in tests/recipes_interop_data_test.ts.

    python3 kzb_queue.py <hosts> <path> put <priority>:<value> ...    kazoo's Queue.put
    python3 kzb_queue.py <hosts> <path> get <n>                       Queue.get, n times
    python3 kzb_queue.py <hosts> <path> lput <priority>:<value> ...   LockingQueue.put
    python3 kzb_queue.py <hosts> <path> lget <n> <timeout>            LockingQueue get + consume
    python3 kzb_queue.py <hosts> <path> lhold                         LockingQueue.get, then
        waits for "consume" or "release" on stdin and does it

Timeouts in seconds. Prints one JSON object per line: {"event": "ready"} once
connected, {"event": "got", "values": [...]} (null for an empty queue or a
timeout), {"event": "held", "value": ...} and {"event": "finished", "ok": bool}
for lhold, then {"event": "done"}.
"""
import sys

from kzb_common import emit, kazoo_session


def entries(args):
    for arg in args:
        priority, value = arg.split(":", 1)
        yield int(priority), value.encode("utf-8")


def text(value):
    return None if value is None else value.decode("utf-8")


def main():
    hosts, path, command = sys.argv[1:4]
    args = sys.argv[4:]
    with kazoo_session(hosts) as zk:
        if command == "put":
            queue = zk.Queue(path)
            for priority, value in entries(args):
                queue.put(value, priority=priority)
        elif command == "get":
            queue = zk.Queue(path)
            emit(event="got", values=[text(queue.get()) for _ in range(int(args[0]))])
        elif command == "lput":
            queue = zk.LockingQueue(path)
            for priority, value in entries(args):
                queue.put(value, priority=priority)
        elif command == "lget":
            queue = zk.LockingQueue(path)
            values = []
            for _ in range(int(args[0])):
                value = queue.get(float(args[1]))
                if value is not None:
                    queue.consume()
                values.append(text(value))
            emit(event="got", values=values)
        elif command == "lhold":
            queue = zk.LockingQueue(path)
            emit(event="held", value=text(queue.get(10)))
            what = sys.stdin.readline().strip()
            ok = queue.consume() if what == "consume" else queue.release()
            emit(event="finished", ok=ok)
        else:
            raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main()
