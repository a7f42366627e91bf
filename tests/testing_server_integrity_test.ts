/**
 * ZooKeeper's own integrity reports (lib/testing/server_integrity.ts), and
 * the server bug they exist for: a ZooKeeper 3.8 follower frozen while it
 * logs, then restarted, can come back without committed transactions
 * (ZOOKEEPER-4409, ZOOKEEPER-4712), so queue entries taken long ago are
 * there again on that member. The chaos suite saw this as entries taken
 * twice, once that member led. The bug is a race: the test freezes a member
 * up to 6 times and checks what happened each time; clients on the frozen
 * member, as in the chaos run, make a loss likely within the first rounds.
 */
import assert from "node:assert/strict";
import { connect, Queue, type ZooKeeperClient } from "../mod.ts";
import {
  mayHaveLostData,
  scanServerLog,
  ZooKeeperCluster,
  type ZooKeeperMember,
} from "../lib/testing/mod.ts";
import { eventually, uniqueChroot } from "./helpers.ts";

// Lines as ZooKeeper 3.8.0 logged them in a run of the test below.
const DAMAGED_LOG = [
  "2026-12-03 13:54:13,603 - ERROR [LearnerSender:1:ZooKeeperCriticalThread@49] - " +
  "Severe unrecoverable error, from thread : LearnerSender:1",
  "2026-12-03 13:54:13,670 - ERROR [SyncThread:1:ZooKeeperCriticalThread@49] - " +
  "Severe unrecoverable error, from thread : SyncThread:1",
  'java.lang.NullPointerException: Cannot invoke "java.net.Socket.isClosed()" because ' +
  '"this.learner.sock" is null',
  "2026-12-03 13:54:26,421 - ERROR [main:FileTxnSnapLog@345] - " +
  "4294968409(highestZxid) > 4294968323(next log) for type 2",
  "2026-12-03 13:54:26,422 - ERROR [main:FileTxnSnapLog@345] - " +
  "4294968409(highestZxid) > 4294968324(next log) for type 1",
  "2026-12-03 13:54:26,425 - WARN  [main:RateLogger@87] - " +
  "Message:Digests are not matching. Value is Zxid. Value:4294968323",
  "2026-12-03 13:54:26,427 - ERROR [main:DataTree@1818] - " +
  "First digest mismatch on txn: 216173855040798726,26,4294968323,1796306059971,2",
].join("\n");

Deno.test("scanServerLog finds ZooKeeper's reports of lost transactions, once per kind", () => {
  const reports = scanServerLog(DAMAGED_LOG);
  assert.deepEqual(
    reports.map((r) => [r.problem, r.count]),
    [["log-writer-died", 1], ["log-replay-skipped", 2], ["digest-mismatch", 2]],
  );
  const replay = reports[1];
  assert.equal(replay.first, new Date(2026, 11, 3, 13, 54, 26, 421).getTime());
  assert.equal(replay.last, new Date(2026, 11, 3, 13, 54, 26, 422).getTime());
  assert.match(replay.line, /^2026-12-03 13:54:26,421 .*\(next log\)/);
  assert.ok(mayHaveLostData(reports));
  // A dead writer alone: the member's memory is still right.
  assert.ok(!mayHaveLostData(reports.slice(0, 1)));
});

Deno.test("scanServerLog finds nothing in a healthy member's log", async () => {
  await using cluster = await ZooKeeperCluster.start({ freePorts: true });
  {
    await using zk = await connect(cluster.connectionString());
    const path = uniqueChroot("healthy");
    await zk.create(path, "x");
    await zk.delete(path);
  }
  const log = await cluster.members[0].logs();
  assert.match(log, /ZooKeeper/, "the log was read");
  assert.deepEqual(scanServerLog(log), []);
});

/** How many entries the consumers leave in the queue while the producers run. */
const BACKLOG = 150;

/** The entries a member lists under `path` after catching up with the leader. */
async function entriesOn(member: ZooKeeperMember, path: string): Promise<string[]> {
  await using zk = await connect(member.address, { sessionTimeout: 10_000 });
  await zk.sync(path);
  return (await zk.getChildren(path)).sort();
}

// A reproduction of ZooKeeper 3.8's bug, not a check of this client: it takes
// 20 s to minutes and the loss is a race, so it runs only when asked for
// (ZK_REPRODUCE_SERVER_BUGS=1 deno test -A tests/testing_server_integrity_test.ts).
Deno.test({
  name: "a frozen then restarted follower that lost taken queue entries says so in its log, " +
    "a consumer on it cannot take them, and once it leads they are taken again",
  ignore: Deno.env.get("ZK_REPRODUCE_SERVER_BUGS") !== "1",
  fn: async () => {
    await using cluster = await ZooKeeperCluster.start({ freePorts: true, size: 3 });
    const maxRounds = 6;
    const figures: string[] = [];
    const base = uniqueChroot("frozen-follower");
    const taken = new Set<string>();
    const putPaths = new Map<string, string>();
    const queues: string[] = [];
    let diverged = 0;
    try {
      await rounds();
    } finally {
      console.log(figures.join("\n"));
    }
    if (diverged === 0) console.log(`no loss in ${maxRounds} rounds: nothing more to check`);

    async function rounds(): Promise<void> {
      for (let round = 0; round < maxRounds && diverged === 0; round++) {
        await cluster.waitUntilServing({ timeout: 60_000 });
        const leader = await cluster.leader();
        assert.ok(leader, "a leader");
        // The follower with the higher id is frozen: with equal histories it
        // wins the election once the leader is gone (ZooKeeper's tie-break).
        const [other, frozen] = cluster.members.filter((m) => m !== leader)
          .sort((a, b) => a.id - b.id);
        const path = `${base}/q${round}`;
        queues.push(path);
        // Producers (even) and consumers (odd): four on the two members that
        // stay up, two on the one to freeze that move on when it does, as
        // the chaos run's workers did. Writes flow to the frozen member's
        // socket while it cannot read them.
        const clients: ZooKeeperClient[] = await Promise.all([
          ...[leader, other, leader, other].map((m) =>
            connect(cluster.connectionString({ members: [m] }), { sessionTimeout: 10_000 })
          ),
          ...[0, 1].map(() =>
            connect(cluster.connectionString({ members: [frozen, leader, other] }), {
              sessionTimeout: 4_000,
              randomizeHosts: false,
            })
          ),
        ]);
        const takenBefore = taken.size;
        let puts = 0;
        let stop = false;
        const loops = clients.map(async (zk, i) => {
          const queue = new Queue(zk, path);
          let n = 0;
          while (!stop) {
            try {
              if (i % 2 === 0) {
                const item = `r${round}-c${i}-${n++}`;
                putPaths.set(`q${round}/${(await queue.put(item)).split("/").pop()}`, item);
                puts++;
              } else if (puts - (taken.size - takenBefore) < BACKLOG) {
                // Entries wait a while before they are taken, so that some
                // put before the freeze are taken during it (as in the chaos run).
                await new Promise((resolve) => setTimeout(resolve, 5));
              } else {
                const data = await queue.get();
                if (data !== null) taken.add(new TextDecoder().decode(data));
              }
            } catch {
              // A fault in the way: the next call will do.
            }
          }
        });
        try {
          await untilTaken(taken, takenBefore + 20);
          frozen.pause();
          try {
            // Frozen until the leader gives up on it (syncLimit), and a while
            // longer: writes pile up in its socket, more than the 1000 its log
            // writer takes in one batch when it thaws.
            await eventually(
              async () => /zk_synced_followers\s+1\b/.test(await leader.fourLetterWord("mntr")),
              60_000,
              "the leader dropping the frozen follower",
            );
            await untilTaken(taken, taken.size + 400);
          } finally {
            frozen.resume();
          }
          await untilTaken(taken, taken.size + 300);
        } finally {
          stop = true;
          await Promise.all(loops);
        }
        // Empty the queue, then restart the thawed follower.
        const drain = new Queue(clients[1], path);
        for (let data; (data = await drain.get()) !== null;) {
          taken.add(new TextDecoder().decode(data));
        }
        await Promise.all(clients.map((zk) => zk.close()));
        await frozen.kill();
        await frozen.start({ timeout: 60_000 });
        await cluster.waitUntilServing({ timeout: 60_000 });

        // Every queue so far: a loss can hit an earlier round's entries.
        const back: string[] = [];
        for (const queue of queues) {
          assert.deepEqual(await entriesOn(leader, queue), [], `the leader's ${queue} is empty`);
          const round = queue.slice(base.length + 1);
          back.push(...(await entriesOn(frozen, queue)).map((name) => `${round}/${name}`));
        }
        // The member's whole log (every start so far): the loss may show at any replay.
        const reports = scanServerLog(await frozen.logs());
        figures.push(
          `round ${round}: ${taken.size - takenBefore} taken, member ${frozen.id} frozen; ` +
            `after its restart it lists ${back.length} taken entries; its log: ${
              reports.map((r) => `${r.problem} x${r.count}`).join(", ") || "clean"
            }`,
        );
        if (back.length === 0) continue;
        diverged++;
        // The member serves entries that were taken: the server lost the deletes...
        for (const name of back) {
          const item = putPaths.get(name);
          assert.ok(item !== undefined && taken.has(item), `${name} (${item}) had been taken`);
        }
        // ...and its log says so, so the chaos suite can blame ZooKeeper.
        assert.ok(mayHaveLostData(reports), `member ${frozen.id}'s log reports the loss`);
        // A consumer reading from that member lists the entries, but the
        // leader decides the delete: nothing is taken a second time.
        await using onIt = await connect(cluster.connectionString({ members: [frozen] }), {
          sessionTimeout: 10_000,
        });
        for (const queue of queues) assert.equal(await new Queue(onIt, queue).get(), null);

        // What the chaos run saw: that member leads, and the entries are taken again.
        await leader.kill();
        await cluster.waitUntilServing({ timeout: 60_000 });
        if (await cluster.leader() !== frozen) {
          figures.push(`member ${other.id} leads now, not member ${frozen.id}: no second take`);
          break;
        }
        // A consumer that lists on it (the other member never had these entries
        // back: the two now disagree for good).
        await using consumer = await connect(cluster.connectionString({ members: [frozen] }), {
          sessionTimeout: 10_000,
        });
        const again: string[] = [];
        for (const queue of queues) {
          for (let data; (data = await new Queue(consumer, queue).get()) !== null;) {
            again.push(new TextDecoder().decode(data));
          }
        }
        figures.push(`member ${frozen.id} leads: ${again.length} entries taken a second time`);
        assert.deepEqual(
          again.sort(),
          back.map((name) => putPaths.get(name)!).sort(),
          "exactly the entries it had lost the deletes of are taken again",
        );
        assert.ok(again.every((item) => taken.has(item)));
      }
    }
  },
});

/** Waits until the loops have taken `count` entries. */
function untilTaken(taken: Set<string>, count: number): Promise<void> {
  return eventually(() => taken.size >= count, 60_000, `${count} entries taken`);
}
