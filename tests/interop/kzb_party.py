#!/usr/bin/python3
"""kazoo's side of the Party checks in tests/recipes_interop_data_test.ts.

    python3 kzb_party.py <hosts> <path> <party|shallow> <identifier> <members>

Joins kazoo's Party (or ShallowParty) with `identifier`, waits (up to 20 s)
until the party has `members` members, reports them, then waits for a line
on stdin, leaves, and reports the members it still sees.

Prints one JSON object per line: {"event": "ready"} once connected,
{"event": "joined", "node": ...}, {"event": "members", "members": [...]},
{"event": "left", "members": [...]}, then {"event": "done"}.
"""
import sys
import time

from kzb_common import emit, kazoo_session


def main():
    hosts, path, kind, ident, count = sys.argv[1:6]
    with kazoo_session(hosts) as zk:
        make = zk.Party if kind == "party" else zk.ShallowParty
        party = make(path, ident)
        party.join()
        emit(event="joined", node=party.node)
        deadline = time.time() + 20
        while len(party) < int(count) and time.time() < deadline:
            time.sleep(0.02)
        emit(event="members", members=sorted(party))
        sys.stdin.readline()
        party.leave()
        emit(event="left", members=sorted(party))


if __name__ == "__main__":
    main()
