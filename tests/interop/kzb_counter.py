#!/usr/bin/python3
"""kazoo's side of the Counter checks in tests/recipes_interop_data_test.ts.

    python3 kzb_counter.py <hosts> <path> add <times> <delta> [int|float|curator]
    python3 kzb_counter.py <hosts> <path> get [int|float|curator]

`add` adds `delta` `times` times with kazoo's Counter (`counter += delta`);
`get` reads the value. The kind picks the Counter: `int` is `default=0`,
`float` is `default=0.0`, `curator` is `support_curator=True`.

Prints one JSON object per line: {"event": "ready"} once connected, then
{"event": "value", "value": ..., "repr": "<Python's repr of it>",
"raw": "<the node's data, hex>"}, then
{"event": "done"}.
"""
import sys

from kzb_common import emit, kazoo_session


def counter(zk, path, kind):
    if kind == "float":
        return zk.Counter(path, default=0.0)
    return zk.Counter(path, default=0, support_curator=(kind == "curator"))


def main():
    hosts, path, command = sys.argv[1:4]
    args = sys.argv[4:]
    with kazoo_session(hosts) as zk:
        if command == "add":
            times, kind = int(args[0]), args[2] if len(args) > 2 else "int"
            delta = float(args[1]) if kind == "float" else int(args[1])
            c = counter(zk, path, kind)
            for _ in range(times):
                c += delta
        elif command == "get":
            kind = args[0] if args else "int"
            c = counter(zk, path, kind)
        else:
            raise SystemExit("unknown command " + command)
        value = c.value
        raw, _ = zk.get(path)
        emit(event="value", value=value, repr=repr(value), raw=raw.hex())


if __name__ == "__main__":
    main()
