# One bench worker for kazoo, run by bench/compare.ts: <hosts> <workload> <path> <ops>;
# prints one JSON line (see worker_zk.ts). Pipelined: get_async with 1,000 in flight.
import json
import resource
import sys
import threading
import time

from kazoo.client import KazooClient

hosts, workload, path, ops = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
zk = KazooClient(hosts=hosts, timeout=30)
zk.start()


def pipelined(count):
    window = threading.Semaphore(1000)
    done = threading.Event()
    completed = [0]
    lock = threading.Lock()

    def on_done(result):
        result.get()
        window.release()
        with lock:
            completed[0] += 1
            if completed[0] == count:
                done.set()

    for _ in range(count):
        window.acquire()
        zk.get_async(path).rawlink(on_done)
    done.wait()


def sequential(count):
    for _ in range(count):
        zk.get(path)


run = pipelined if workload == "pipelined" else sequential
run(max(1000, ops // 5))
print("begin", flush=True)  # the runner samples the server's CPU here and at "end"
before = resource.getrusage(resource.RUSAGE_SELF)
started = time.perf_counter()
run(ops)
wall = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF)
print("end", flush=True)
zk.stop()
zk.close()
print(json.dumps({
    "ops": ops,
    "wallMs": wall * 1000,
    "userUs": (after.ru_utime - before.ru_utime) * 1e6,
    "sysUs": (after.ru_stime - before.ru_stime) * 1e6,
}))
