/**
 * Curator's elections shared with real Curator 5.4 on the same znodes:
 * LeaderLatch and LeaderSelector processes in both languages (Java programs
 * under tests/curator/java/, @zk/client workers in tests/curator/zk_leader.ts)
 * elect exactly one leader at a time, and when the leader's process is
 * killed (SIGKILL, so its session expires) the next one in line takes over,
 * across languages in both directions.
 *
 * "One at a time" is checked without a clock: each new leader creates an
 * ephemeral `leader` marker node, which fails while another leader's marker
 * (gone only with that leader's session) is still there.
 */
import assert from "node:assert/strict";
import { LeaderLatch, LeaderSelector } from "../recipes/curator/mod.ts";
import { clusterFixture, expireSession, type ZooKeeperCluster } from "../lib/testing/mod.ts";
import { ConnectionLossError, NoNodeError, SessionExpiredError } from "../mod.ts";
import {
  chrootedClients,
  closeAll,
  proxiedClient,
  uniqueChroot,
  whileCutOff,
  within,
} from "./helpers.ts";
import { runJava } from "./curator/java.ts";
import { spawnLines } from "./curator/process.ts";
import { type InteropRecord, Records } from "./curator/records.ts";
import { text } from "./bytes.ts";

const WORKER = new URL("./curator/zk_leader.ts", import.meta.url).pathname;
const PROTECTED = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-/;

type Mode = "latch" | "selector";

function participant(mode: Mode, side: "curator" | "zk", hosts: string, id: string): Records {
  const args = [mode, hosts, "/election", id, "/markers"];
  const source = side === "curator"
    ? runJava("CuratorLeader.java", args)
    : spawnLines(Deno.execPath(), ["run", "-A", WORKER, ...args]);
  return new Records(id, source);
}

/**
 * Starts curator-a, zk-b, curator-c and zk-d one after another (so they
 * queue in that order), then kills each leader in turn and checks that the
 * next one, and only it, takes over.
 */
async function killTheLeaders(cluster: ZooKeeperCluster, mode: Mode): Promise<void> {
  const chroot = uniqueChroot(`curator-${mode}`);
  const [admin] = await chrootedClients(cluster, chroot, 1);
  const hosts = cluster.connectionString({ chroot });
  const lineup: Records[] = [];
  try {
    await admin.ensurePath("/markers");
    for (
      const [side, id] of [["curator", "curator-a"], ["zk", "zk-b"], ["curator", "curator-c"], [
        "zk",
        "zk-d",
      ]] as const
    ) {
      const started = participant(mode, side, hosts, id);
      lineup.push(started);
      await started.next("ready");
      // The first to queue leads; wait until it has, so the order is settled.
      if (lineup.length === 1) await started.next("leader");
    }
    const first = lineup[0].of("leader")[0];
    assert.equal(first.double, false);
    // Everyone's ids, as the leader saw them: Curator's Participant list.
    const seen = await eventuallyParticipants(admin, mode, 4);
    assert.deepEqual(seen.map((p) => p.id), ["curator-a", "zk-b", "curator-c", "zk-d"]);
    assert.deepEqual(seen.map((p) => p.isLeader), [true, false, false, false]);

    for (let leader = 0; leader < lineup.length - 1; leader++) {
      await lineup[leader].kill();
      const next: InteropRecord = await lineup[leader + 1].next("leader", 1, 60_000);
      assert.equal(next.double, false, `${lineup[leader + 1].name} took over alone`);
      assert.equal(text((await admin.get("/markers/leader")).data), lineup[leader + 1].name);
      for (const other of lineup.slice(leader + 2)) {
        assert.deepEqual(other.of("leader"), [], `${other.name} waits its turn`);
      }
      const ids = next.participants as { id: string; isLeader: boolean }[];
      assert.deepEqual(ids.map((p) => p.id), lineup.slice(leader + 1).map((r) => r.name));
      assert.ok(ids[0].isLeader);
    }
    const names = await admin.getChildren("/election");
    const lockName = mode === "latch" ? "latch-" : "lock-";
    assert.equal(names.length, 1);
    assert.match(names[0], new RegExp(PROTECTED.source + lockName + "\\d{10}$"));
  } finally {
    for (const records of lineup) await records[Symbol.asyncDispose]();
    await closeAll([admin]);
  }
}

/** The election's participants once there are `count` (Curator's format: ids in the nodes). */
async function eventuallyParticipants(
  admin: import("../mod.ts").ZooKeeperClient,
  mode: Mode,
  count: number,
) {
  const deadline = Date.now() + 30_000;
  while (true) {
    const participants = mode === "latch"
      ? await new LeaderLatch(admin, "/election").participants()
      : await new LeaderSelector(admin, "/election", () => {}).participants();
    if (participants.length >= count || Date.now() > deadline) return participants;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fixture = clusterFixture({ freePorts: true });

Deno.test(
  "Curator interop, election: LeaderLatch: killing the leader's process hands leadership on, across languages",
  async () => killTheLeaders(await fixture.cluster(), "latch"),
);

Deno.test(
  "Curator interop, election: LeaderSelector: killing the leader's process hands leadership on, across languages",
  async () => killTheLeaders(await fixture.cluster(), "selector"),
);

Deno.test("Curator interop, election: LeaderLatch: leadership(), its signal, hasLeadership and close()", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("curator-latch-local");
  const zks = await chrootedClients(cluster, chroot, 2);
  try {
    const [a, b] = [
      new LeaderLatch(zks[0], "/latch", { id: "a" }),
      new LeaderLatch(zks[1], "/latch", { id: "b" }),
    ];
    await a.start();
    const leadingA = await within(a.leadership(), 10_000, "a's leadership");
    await b.start();
    assert.ok(a.hasLeadership && !b.hasLeadership);
    const waiting = b.leadership();
    assert.deepEqual(await a.participants(), [{ id: "a", isLeader: true }, {
      id: "b",
      isLeader: false,
    }]);
    await a.close();
    assert.ok(leadingA.aborted, "closing ends the leadership signal");
    const leadingB = await within(waiting, 10_000, "b's leadership");
    assert.ok(b.hasLeadership && !leadingB.aborted);
    assert.deepEqual(await b.participants(), [{ id: "b", isLeader: true }]);
    await b.close();
    assert.ok(leadingB.aborted);
    await assert.rejects(b.leadership());
    assert.deepEqual(await zks[0].getChildren("/latch"), []);
  } finally {
    await closeAll(zks);
  }
});

Deno.test("Curator interop, election: LeaderSelector: leadership for one call; autoRequeue takes turns", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("curator-selector-local");
  const zks = await chrootedClients(cluster, chroot, 2);
  try {
    const terms: string[] = [];
    let inOffice = 0;
    const selectors = zks.map((zk, i) =>
      new LeaderSelector(zk, "/sel", async (leadership) => {
        try {
          assert.equal(++inOffice, 1, "one leader at a time");
          assert.ok(!leadership.aborted, "a term starts with a live signal");
          terms.push(`s${i}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        } finally {
          inOffice--;
        }
      }, { id: `s${i}`, autoRequeue: true, onError: (e) => terms.push(`error: ${e}`) })
    );
    for (const selector of selectors) selector.start();
    const deadline = Date.now() + 30_000;
    while (terms.length < 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(selectors.map((selector) => selector.close()));
    assert.ok(terms.length >= 10, `ten terms (${terms.length})`);
    assert.ok(terms.every((term) => !term.startsWith("error")), terms.join(", "));
    assert.ok(terms.includes("s0") && terms.includes("s1"), "both took turns");
    assert.deepEqual(await zks[0].getChildren("/sel"), []);
  } finally {
    await closeAll(zks);
  }
});

Deno.test(
  "Curator interop, election: LeaderLatch: our leader's session expires, Curator's latch takes over, ours rejoins",
  async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("curator-latch-expiry");
    const [admin, zk] = await chrootedClients(cluster, chroot, 2);
    const hosts = cluster.connectionString({ chroot });
    try {
      await admin.ensurePath("/markers");
      await using latch = new LeaderLatch(zk, "/election", { id: "zk-a" });
      await latch.start();
      const leading = await within(latch.leadership(), 10_000, "our leadership");
      await zk.create("/markers/leader", "zk-a", { ephemeral: true });
      const firstPath = latch.ourPath;
      await using java = participant("latch", "curator", hosts, "curator-b");
      await java.next("ready");

      await expireSession(zk, { cluster });
      // SUSPENDED comes first (the server drops the connection), then LOST.
      assert.ok(leading.aborted, "the ownership signal aborted");
      assert.ok(
        leading.reason instanceof ConnectionLossError ||
          leading.reason instanceof SessionExpiredError,
        String(leading.reason),
      );
      const taken = await java.next("leader");
      assert.equal(taken.double, false, "Curator leads alone");
      // Ours joins again, with a new node, behind Curator's.
      const deadline = Date.now() + 30_000;
      while ((await latch.participants()).length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(await latch.participants(), [
        { id: "curator-b", isLeader: true },
        { id: "zk-a", isLeader: false },
      ]);
      assert.notEqual(latch.ourPath, firstPath);
      assert.ok(!latch.hasLeadership);

      await java.kill();
      const again = await within(latch.leadership(), 30_000, "our leadership again");
      assert.ok(!again.aborted && latch.hasLeadership);
    } finally {
      await closeAll([admin, zk]);
    }
  },
);

Deno.test(
  "Curator interop, election: LeaderLatch: a suspended leader's signal aborts; the session survives, so it leads again",
  async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("curator-latch-suspend");
    await using proxied = await proxiedClient(cluster, chroot);
    const { zk, proxy } = proxied;
    await using latch = new LeaderLatch(zk, "/election", { id: "zk-a" });
    await latch.start();
    const leading = await within(latch.leadership(), 10_000, "our leadership");
    const ourPath = latch.ourPath;
    await using java = participant(
      "latch",
      "curator",
      cluster.connectionString({ chroot }),
      "curator-b",
    );
    await java.next("ready");
    await whileCutOff(zk, proxy, async () => {
      assert.ok(
        leading.aborted && leading.reason instanceof ConnectionLossError,
        "SUSPENDED ends it",
      );
      assert.ok(!latch.hasLeadership);
    });
    const again = await within(latch.leadership(), 20_000, "our leadership after the reconnect");
    assert.ok(!again.aborted);
    assert.equal(latch.ourPath, ourPath, "the same node, kept by the surviving session");
    assert.deepEqual(await latch.participants(), [
      { id: "zk-a", isLeader: true },
      { id: "curator-b", isLeader: false },
    ]);
    assert.deepEqual(java.of("leader"), [], "Curator's latch never led");
  },
);

Deno.test(
  "Curator interop, election: LeaderLatch: its node deleted (after a data change), the leader steps down, rejoins behind Curator",
  async () => {
    const cluster = await fixture.cluster();
    const chroot = uniqueChroot("curator-latch-deleted");
    const [admin, zk] = await chrootedClients(cluster, chroot, 2);
    try {
      await admin.ensurePath("/markers");
      await using latch = new LeaderLatch(zk, "/election", { id: "zk-a" });
      await latch.start();
      const leading = await within(latch.leadership(), 10_000, "our leadership");
      const ours = latch.ourPath!;
      // A data change fires our watch on the node: it must be set again.
      // (Before Curator queues: Curator 5.4's latch drops its watch on a
      // data change and would then miss the deletion.)
      await admin.set(ours, "tampered");
      await using java = participant(
        "latch",
        "curator",
        cluster.connectionString({ chroot }),
        "curator-b",
      );
      await java.next("ready");
      await admin.delete(ours);
      await java.next("leader");
      assert.ok(leading.aborted && leading.reason instanceof NoNodeError, String(leading.reason));
      const deadline = Date.now() + 30_000;
      while ((await latch.participants()).length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(await latch.participants(), [
        { id: "curator-b", isLeader: true },
        { id: "zk-a", isLeader: false },
      ]);
      assert.ok(!latch.hasLeadership);
    } finally {
      await closeAll([admin, zk]);
    }
  },
);
