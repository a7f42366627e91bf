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
import { LockTimeoutError } from "../mod.ts";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { chrootedClients, closeAll, uniqueChroot } from "./helpers.ts";
import { runJava } from "./curator/java.ts";
import { type InteropRecord, Records } from "./curator/records.ts";
import { createGuard, guardCount, guarded, type GuardedHold } from "./curator/guard.ts";

const PROTECTED = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-/;

async function curator(name: string, ...args: (string | number)[]): Promise<Records> {
  return new Records(name, await runJava("CuratorLocks.java", args.map(String)));
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

function curatorHolds(
  name: string,
  records: InteropRecord[],
): { who: string; hold: GuardedHold }[] {
  return records.filter((r) => r.event === "hold").map((r) => ({
    who: name,
    hold: { overlap: r.overlap as boolean, n: r.n as number },
  }));
}

Deno.test("Curator's locks and @zk/client's exclude each other on the same znodes", async (t) => {
  await using cluster = await ZooKeeperCluster.start({ freePorts: true });
  const setup = async (name: string, n: number) => {
    const chroot = uniqueChroot(name);
    const zks = await chrootedClients(cluster, chroot, n);
    return { hosts: cluster.connectionString({ chroot }), zks };
  };

  await t.step(
    "InterProcessMutex: 2 Curator + 2 @zk/client processes, 120 holds, 0 overlaps",
    async () => {
      const { hosts, zks } = await setup("curator-mutex", 3);
      try {
        const [admin, ...ours] = zks;
        await createGuard(admin, "/guard");
        const HOLDS = 30;
        await using java1 = await curator("curator-1", "mutex", hosts, "/mutex", HOLDS, "/guard");
        await using java2 = await curator("curator-2", "mutex", hosts, "/mutex", HOLDS, "/guard");
        await Promise.all([java1.next("ready"), java2.next("ready")]);
        const holds: { who: string; hold: GuardedHold }[] = [];
        const names: string[] = [];
        await Promise.all(ours.map(async (zk, i) => {
          const mutex = new InterProcessMutex(zk, "/mutex", { data: `ts-${i}` });
          for (let round = 0; round < HOLDS; round++) {
            await using lock = await mutex.acquire({ timeout: 60_000 });
            names.push(lock.path.slice("/mutex/".length));
            holds.push({ who: `ts-${i}`, hold: await guarded(zk, "/guard") });
          }
        }));
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
});
