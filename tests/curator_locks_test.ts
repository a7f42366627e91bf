/**
 * Curator's locks, shared with real Curator 5.4 (Java programs under
 * tests/curator/java/, run by tests/curator/java.ts) on the same znodes of a
 * real server: InterProcessMutex, InterProcessReadWriteLock and
 * InterProcessSemaphoreV2 hold their guarantees across both languages.
 *
 * Exclusion is checked without a shared clock (tests/curator/guard.ts):
 * every holder creates an ephemeral `inside` node (NodeExists = overlap) and
 * bumps an unversioned counter; the values seen must be 0..n-1, each once.
 */
import assert from "node:assert/strict";
import {
  InterProcessMutex,
  InterProcessReadWriteLock,
  InterProcessSemaphoreV2,
} from "../recipes/curator/mod.ts";
import {
  ConnectionLossError,
  LockTimeoutError,
  SessionExpiredError,
  type ZooKeeperClient,
} from "../mod.ts";
import { clusterFixture, expireSession, ZooKeeperCluster } from "../lib/testing/mod.ts";
import { chrootedClients, closeAll, uniqueChroot } from "./helpers.ts";
import { runJava } from "./curator/java.ts";
import { type InteropRecord, Records } from "./curator/records.ts";
import { createGuard, guardCount, guarded, type GuardedHold } from "./curator/guard.ts";
import { CuratorProtectedCreate } from "../recipes/curator/internal/protected_create.ts";

const PROTECTED = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-/;

function curator(name: string, ...args: (string | number)[]): Records {
  return new Records(name, runJava("CuratorLocks.java", args.map(String)));
}

/** Asserts the holds saw 0..n-1, each once, with no overlap, and that the two sides took turns. */
function assertSerial(holds: { who: string; hold: GuardedHold }[]): void {
  assert.deepEqual(holds.filter(({ hold }) => hold.overlap), [], "no holder found another inside");
  const order = [...holds].sort((a, b) => a.hold.n - b.hold.n);
  assert.deepEqual(order.map(({ hold }) => hold.n), order.map((_, i) => i), "no lost update");
  const sides = order.map(({ who }) => who.startsWith("curator"));
  const switches = sides.filter((side, i) => i > 0 && side !== sides[i - 1]).length;
  assert.ok(switches >= 2, `Curator and @zk/client took turns (${switches} switches)`);
}

/**
 * Holds the first lock until `count` contenders (children of `dir` matching
 * `kind`) are queued, so that both sides contend from the start: after that,
 * FIFO order makes them alternate, whatever the machine's load.
 */
async function gate(zk: ZooKeeperClient, dir: string, count: number, kind = ""): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await zk.getChildren(dir)).filter((name) => name.includes(kind)).length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} contenders under ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Awaits `work`; if it fails, adds what the lock's queue and the Curator
 * programs looked like to the error, so a stall can be told from a bug.
 */
async function explained<T>(
  admin: ZooKeeperClient,
  dir: string,
  programs: Records[],
  work: Promise<T>,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const queue = await Promise.all((await admin.getChildren(dir).catch(() => [])).map(
      async (name) => {
        const stat = await admin.exists(`${dir}/${name}`).catch(() => null);
        return `${name} owner=0x${stat?.ephemeralOwner.toString(16)}`;
      },
    ));
    const said = programs.map((p) =>
      `${p.name}: ${p.all.length} records, last ${JSON.stringify(p.all.at(-1))}`
    );
    throw new Error(`${error}\nqueue:\n  ${queue.join("\n  ")}\n${said.join("\n")}`, {
      cause: error,
    });
  }
}

function curatorHolds(
  name: string,
  records: InteropRecord[],
): { who: string; hold: GuardedHold }[] {
  return records.filter((r) => r.event === "hold").map((r) => ({
    who: name,
    hold: { overlap: r.overlap as boolean, n: r.n as number },
  }));
}

const fixture = clusterFixture({ freePorts: true });

/** `n` clients under a fresh chroot, and the connection string Curator uses to reach it. */
async function setup(name: string, n: number) {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot(name);
  const zks = await chrootedClients(cluster, chroot, n);
  return { hosts: cluster.connectionString({ chroot }), zks };
}

Deno.test(
  "Curator interop, locks: InterProcessMutex: 2 Curator + 2 @zk/client processes, 120 holds, 0 overlaps",
  async () => {
    const { hosts, zks } = await setup("curator-mutex", 3);
    try {
      const [admin, ...ours] = zks;
      await createGuard(admin, "/guard");
      const HOLDS = 30;
      const mutexes = ours.map((zk, i) => new InterProcessMutex(zk, "/mutex", { data: `ts-${i}` }));
      // Ours holds first, until every other contender is queued behind it:
      // from then on FIFO makes the two sides alternate, whatever the load.
      const first = await mutexes[0].acquire();
      await using java1 = curator("curator-1", "mutex", hosts, "/mutex", HOLDS, "/guard");
      await using java2 = curator("curator-2", "mutex", hosts, "/mutex", HOLDS, "/guard");
      const holds: { who: string; hold: GuardedHold }[] = [];
      const names: string[] = [];
      await explained(
        admin,
        "/mutex",
        [java1, java2],
        Promise.all(ours.map(async (zk, i) => {
          for (let round = 0; round < HOLDS; round++) {
            await using lock = i === 0 && round === 0
              ? first
              : await mutexes[i].acquire({ timeout: 120_000 });
            if (i === 0 && round === 0) await gate(zk, "/mutex", 4);
            names.push(lock.path.slice("/mutex/".length));
            holds.push({ who: `ts-${i}`, hold: await guarded(zk, "/guard") });
          }
        })),
      );
      holds.push(...curatorHolds("curator-1", await java1.done()));
      holds.push(...curatorHolds("curator-2", await java2.done()));
      assert.equal(holds.length, 4 * HOLDS);
      assertSerial(holds);
      assert.equal(await guardCount(admin, "/guard"), 4 * HOLDS);
      for (const name of names) {
        assert.match(
          name,
          new RegExp(PROTECTED.source + "lock-\\d{10}$"),
        );
      }
      assert.deepEqual(await admin.getChildren("/mutex"), []);
    } finally {
      await closeAll(zks);
    }
  },
);

Deno.test(
  "Curator interop, locks: InterProcessMutex is re-entrant per instance, as Curator's is per thread",
  async () => {
    const { zks } = await setup("curator-reentrant", 1);
    const [zk] = zks;
    try {
      const mutex = new InterProcessMutex(zk, "/re");
      const outer = await mutex.acquire();
      const inner = await mutex.acquire({ timeout: 5_000 });
      assert.equal(inner.path, outer.path);
      assert.equal((await zk.getChildren("/re")).length, 1, "a nested hold takes no new node");
      assert.equal(
        await new InterProcessMutex(zk, "/re").tryAcquire(),
        null,
        "another owner waits",
      );
      await inner.release();
      assert.ok(mutex.isAcquired && !outer.signal.aborted, "still held after the inner release");
      assert.ok(await zk.exists(outer.path));
      await outer.release();
      assert.ok(!mutex.isAcquired);
      assert.deepEqual(await zk.getChildren("/re"), []);
    } finally {
      await closeAll(zks);
    }
  },
);

Deno.test(
  "Curator interop, locks: InterProcessReadWriteLock: a Curator writer, our writer and our readers",
  async () => {
    const { hosts, zks } = await setup("curator-rw", 3);
    try {
      const [admin, writer, reader] = zks;
      await createGuard(admin, "/guard");
      const HOLDS = 15;
      const lock = new InterProcessReadWriteLock(writer, "/rw", { data: "writer" });
      // Our writer holds first, until Curator's writer is queued behind it:
      // from then on FIFO makes the two writers alternate, whatever the load.
      const first = await lock.writeLock.acquire();
      await using java = curator("curator-w", "rwwrite", hosts, "/rw", HOLDS, "/guard");
      await using javaReader = curator("curator-r", "rwread", hosts, "/rw", 3 * HOLDS, "/guard");
      const holds: { who: string; hold: GuardedHold }[] = [];
      let writing = true;
      let reads = 0;
      const names = new Set<string>();
      const readers = (async () => {
        const shared = new InterProcessReadWriteLock(reader, "/rw", { data: "reader" });
        while (writing) {
          await using read = await shared.readLock.acquire({ timeout: 120_000 });
          names.add(read.path.replace(/^.*\//, "").replace(PROTECTED, "").replace(/\d+$/, ""));
          assert.equal(
            await reader.exists("/guard/inside"),
            null,
            "no writer inside a read hold",
          );
          reads++;
        }
      })();
      const writers = (async () => {
        try {
          for (let round = 0; round < HOLDS; round++) {
            await using write = round === 0
              ? first
              : await lock.writeLock.acquire({ timeout: 120_000 });
            if (round === 0) await gate(writer, "/rw", 2, "__WRIT__");
            names.add(write.path.replace(/^.*\//, "").replace(PROTECTED, "").replace(/\d+$/, ""));
            holds.push({ who: "ts-writer", hold: await guarded(writer, "/guard") });
          }
          await java.done();
        } finally {
          writing = false;
        }
      })();
      await explained(admin, "/rw", [java, javaReader], Promise.all([readers, writers]));
      holds.push(...curatorHolds("curator-w", await java.done()));
      const javaReads = (await javaReader.done()).filter((r) => r.event === "read");
      assert.equal(javaReads.length, 3 * HOLDS);
      assert.deepEqual(
        javaReads.filter((r) => r.writerInside),
        [],
        "Curator's readers wait for our writer",
      );
      writing = false;
      await readers;
      assert.equal(holds.length, 2 * HOLDS);
      assertSerial(holds);
      assert.ok(reads > 0);
      assert.deepEqual([...names].sort(), ["__READ__", "__WRIT__"]);

      // Downgrade: write, then read (granted at once), then let the write go.
      const write = await lock.writeLock.acquire();
      const read = await lock.readLock.acquire({ timeout: 10_000 });
      await write.release();
      assert.deepEqual(
        (await admin.getChildren("/rw")).map((n) => n.replace(PROTECTED, "").slice(0, 8)),
        [
          "__READ__",
        ],
      );
      await read.release();
    } finally {
      await closeAll(zks);
    }
  },
);

Deno.test(
  "Curator interop, locks: InterProcessSemaphoreV2: Curator and @zk/client never exceed 2 leases",
  async () => {
    const { hosts, zks } = await setup("curator-semaphore", 3);
    try {
      const [admin, ...ours] = zks;
      await admin.ensurePath("/inside");
      const HOLDS = 15;
      await using java1 = curator(
        "curator-1",
        "semaphore",
        hosts,
        "/sem",
        2,
        HOLDS,
        "/inside",
      );
      await using java2 = curator(
        "curator-2",
        "semaphore",
        hosts,
        "/sem",
        2,
        HOLDS,
        "/inside",
      );
      await Promise.all([java1.next("ready"), java2.next("ready")]);
      const inside: number[] = [];
      const leaseNames: string[] = [];
      await Promise.all(ours.map(async (zk, i) => {
        const semaphore = new InterProcessSemaphoreV2(zk, "/sem", {
          maxLeases: 2,
          data: `ts-${i}`,
        });
        for (let round = 0; round < HOLDS; round++) {
          await using lease = await semaphore.acquire({ timeout: 60_000 });
          leaseNames.push(lease.path);
          const marker = await zk.create("/inside/m-", null, {
            ephemeral: true,
            sequential: true,
          });
          await new Promise((resolve) => setTimeout(resolve, 30));
          inside.push((await zk.getChildren("/inside")).length);
          await zk.delete(marker);
        }
      }));
      for (const java of [java1, java2]) {
        inside.push(
          ...(await java.done()).filter((r) => r.event === "lease").map((r) => r.inside as number),
        );
      }
      assert.equal(inside.length, 4 * HOLDS);
      assert.ok(
        Math.max(...inside) <= 2,
        `at most 2 holders at once (saw ${Math.max(...inside)})`,
      );
      for (const path of leaseNames) {
        assert.match(
          path,
          new RegExp("^/sem/leases/" + PROTECTED.source.slice(1) + "lease-\\d{10}$"),
        );
      }
      assert.deepEqual(await admin.getChildren("/sem/leases"), []);
      assert.deepEqual(await admin.getChildren("/sem/locks"), []);
    } finally {
      await closeAll(zks);
    }
  },
);

Deno.test("Curator interop, locks: InterProcessSemaphoreV2 follows a SharedCount's maxLeases", async () => {
  const { zks } = await setup("curator-semaphore-count", 1);
  const [zk] = zks;
  try {
    const int32 = (n: number) => {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setInt32(0, n);
      return bytes;
    };
    await zk.create("/max", int32(1));
    const semaphore = new InterProcessSemaphoreV2(zk, "/sem", {
      maxLeases: { countPath: "/max" },
    });
    const first = await semaphore.acquire();
    await assert.rejects(semaphore.acquire({ timeout: 300 }), LockTimeoutError);
    const second = semaphore.acquire({ timeout: 30_000 });
    await zk.set("/max", int32(2));
    const leases = [first, await second];
    assert.equal((await semaphore.participantNodes()).length, 2);
    await Promise.all(leases.map((lease) => lease.release()));
    assert.deepEqual(await zk.getChildren("/sem/leases"), []);
  } finally {
    await closeAll(zks);
  }
});

Deno.test(
  "Curator interop, locks: InterProcessMutex: our holder's session expires, its signal aborts, Curator gets the lock",
  async () => {
    const cluster = await fixture.cluster();
    const { hosts, zks } = await setup("curator-mutex-expiry", 2);
    try {
      const [admin, zk] = zks;
      await createGuard(admin, "/guard");
      const mutex = new InterProcessMutex(zk, "/mutex");
      const lock = await mutex.acquire();
      await using java = curator("curator-1", "mutex", hosts, "/mutex", 1, "/guard");
      await java.next("ready");
      await expireSession(zk, { cluster });
      // SUSPENDED comes first (the server drops the connection), then LOST.
      assert.ok(lock.signal.aborted, "the ownership signal aborted");
      assert.ok(
        lock.signal.reason instanceof ConnectionLossError ||
          lock.signal.reason instanceof SessionExpiredError,
        String(lock.signal.reason),
      );
      const [hold] = curatorHolds("curator-1", await java.done());
      assert.deepEqual(hold.hold, { overlap: false, n: 0 });
      await lock.release(); // its node went with the session: nothing to do, no error
      assert.ok(!mutex.isAcquired);
      await using again = await mutex.acquire({ timeout: 30_000 });
      assert.match(
        again.path,
        new RegExp("^/mutex/" + PROTECTED.source.slice(1) + "lock-\\d{10}$"),
      );
    } finally {
      await closeAll(zks);
    }
  },
);

Deno.test("Curator interop, locks: InterProcessMutex: an abandoned acquire leaves no node behind", async () => {
  const { hosts, zks } = await setup("curator-mutex-abort", 2);
  try {
    const [admin, zk] = zks;
    await createGuard(admin, "/guard");
    const holder = await new InterProcessMutex(admin, "/mutex").acquire();
    const stop = new AbortController();
    const waiting = new InterProcessMutex(zk, "/mutex").acquire({ signal: stop.signal });
    const deadline = Date.now() + 10_000;
    while ((await admin.getChildren("/mutex")).length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stop.abort(new Error("gave up"));
    await assert.rejects(waiting, /gave up/);
    assert.equal((await admin.getChildren("/mutex")).length, 1);
    // Curator's waiter comes next, right after the holder.
    await using java = curator("curator-1", "mutex", hosts, "/mutex", 1, "/guard");
    await java.next("ready");
    await holder.release();
    await java.done();
  } finally {
    await closeAll(zks);
  }
});

Deno.test(
  "Curator interop, locks: a protected create retried adopts its node, and deletes one of another session",
  async () => {
    const { zks } = await setup("curator-protected", 2);
    const [zk, other] = zks;
    try {
      const creator = new CuratorProtectedCreate(
        zk,
        "/p/q",
        "lock-",
        new TextEncoder().encode("x"),
      );
      assert.match(creator.prefix, new RegExp(PROTECTED.source + "lock-$"));
      const first = await creator.create();
      assert.match(first.name, new RegExp(PROTECTED.source + "lock-\\d{10}$"));
      assert.equal(first.session, zk.sessionId);
      // A retry (as after a connection loss whose reply was lost) finds the node the server made.
      const again = await creator.create();
      assert.equal(again.path, first.path);
      assert.deepEqual(await zk.getChildren("/p/q"), [first.name]);

      // A node with our prefix owned by another session (ours before an expiry) is not adopted.
      await zk.delete(first.path);
      const foreign = await other.create(`/p/q/${creator.prefix}`, null, {
        ephemeral: true,
        sequential: true,
      });
      const third = await creator.create();
      assert.notEqual(third.path, foreign);
      assert.equal(third.session, zk.sessionId);
      assert.equal(await zk.exists(foreign), null, "the other session's node was deleted");
      await creator.cleanup();
      assert.deepEqual(await zk.getChildren("/p/q"), []);
    } finally {
      await closeAll(zks);
    }
  },
);

Deno.test("the lock's directory is a container, as Curator makes it: the server collects it once empty", async () => {
  await using cluster = await ZooKeeperCluster.start({
    freePorts: true,
    systemProperties: { "znode.container.checkIntervalMs": 100 },
  });
  const [zk] = await chrootedClients(cluster, uniqueChroot("curator-containers"), 1);
  try {
    const lock = await new InterProcessMutex(zk, "/app/locks/job").acquire();
    await lock.release();
    const deadline = Date.now() + 30_000;
    while (await zk.exists("/app") !== null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The lock node went, then the emptied containers above it, one check at a time.
    assert.equal(await zk.exists("/app"), null);
  } finally {
    await zk.close();
  }
});
