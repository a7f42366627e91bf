"""What every kazoo interop script shares: JSON records on stdout, and a
connected KazooClient that says {"event": "ready"} once connected,
{"event": "done"} when the command finished, and is always stopped."""
import contextlib
import json

from kazoo.client import KazooClient


def emit(**record):
    print(json.dumps(record), flush=True)


@contextlib.contextmanager
def kazoo_session(hosts):
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=15)
    try:
        emit(event="ready")
        yield zk
        emit(event="done")
    finally:
        zk.stop()
        zk.close()
