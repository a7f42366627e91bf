/**
 * Issue 13, item 1: a client that declares LOST on its own clock while the
 * server still holds its old session must not adopt that session's nodes
 * when it re-joins (they vanish when the old session expires). Party,
 * ShallowParty, DoubleBarrier and SetPartitioner (through ShallowParty).
 */
import assert from "node:assert/strict";
import type { ZooKeeperClient } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { type BaseParty, Party, ShallowParty } from "../recipes/party.ts";
import { DoubleBarrier } from "../recipes/barrier.ts";
import { PartitionState, SetPartitioner } from "../recipes/partitioner.ts";
import { eventually, proxiedClient, uniqueChroot, within } from "./helpers.ts";
import { lostWhileServerHoldsSession } from "./recipes_faults_helpers.ts";

// A waiter that was retrying while no session was granted may be in a
// back-off pause of several seconds when the new session comes, longer on a
// loaded machine.
const REJOIN_WAIT = 60_000;

/** Whether `path` is an ephemeral node of `zk`'s current session, asked through `admin`. */
async function ownedByLiveSession(
  admin: ZooKeeperClient,
  zk: ZooKeeperClient,
  path: string,
): Promise<boolean> {
  const stat = await admin.exists(path);
  return stat !== null && stat.ephemeralOwner === zk.sessionId;
}

const fixture = clusterFixture({ freePorts: true });

const parties: [string, (zk: ZooKeeperClient) => BaseParty][] = [
  ["Party", (zk) => new Party(zk, "/p", "alpha")],
  ["ShallowParty", (zk) => new ShallowParty(zk, "/p", "alpha")],
];
for (const [kind, make] of parties) {
  Deno.test(`re-joining after an unseen LOST: a ${kind} member is still listed once its old session expires`, async () => {
    const cluster = await fixture.cluster();
    const member = cluster.members[0];
    await using env = await proxiedClient(cluster, uniqueChroot(kind));
    const { admin, zk, proxy } = env;
    await using party = make(zk);
    await party.join();
    const holder = await lostWhileServerHoldsSession(zk, proxy, member);
    try {
      // The re-join must replace the old session's node, not adopt it.
      await eventually(
        () => ownedByLiveSession(admin, zk, party.memberPath),
        REJOIN_WAIT,
        "the member node owned by the new session",
      );
    } finally {
      await holder.close(); // the old session expires
    }
    assert.equal(party.participating, true);
    assert.deepEqual(await make(admin).members(), ["alpha"]);
  });
}

Deno.test(
  "re-joining after an unseen LOST: a DoubleBarrier participant that re-entered lets the others through",
  async () => {
    const cluster = await fixture.cluster();
    const member = cluster.members[0];
    const chroot = uniqueChroot("double-barrier");
    await using env = await proxiedClient(cluster, chroot);
    const { admin, zk, proxy } = env;
    const first = new DoubleBarrier(zk, "/b", 2, "first");
    const entering = first.enter({ signal: AbortSignal.timeout(60_000) });
    entering.catch(() => {});
    const mine = `/b/${first.node}`;
    await eventually(async () => (await admin.exists(mine)) !== null, 10_000, "first entered");
    const holder = await lostWhileServerHoldsSession(zk, proxy, member);
    try {
      await eventually(
        () => ownedByLiveSession(admin, zk, mine),
        REJOIN_WAIT,
        "the participant node owned by the new session",
      );
    } finally {
      await holder.close();
    }
    const second = new DoubleBarrier(admin, "/b", 2, "second");
    await within(Promise.all([entering, second.enter()]), 30_000, "both entered");
    await within(Promise.all([first.leave(), second.leave()]), 15_000, "both left");
  },
);

Deno.test(
  "re-joining after an unseen LOST: a SetPartitioner member gets its share after its old session expires",
  async () => {
    const cluster = await fixture.cluster();
    const member = cluster.members[0];
    const chroot = uniqueChroot("partitioner");
    await using env = await proxiedClient(cluster, chroot);
    const { admin, zk, proxy } = env;
    const set = ["a", "b", "c", "d"];
    const cut = new SetPartitioner(zk, "/sp", set, { identifier: "cut", timeBoundary: 200 });
    const other = new SetPartitioner(admin, "/sp", set, {
      identifier: "other",
      timeBoundary: 200,
    });
    try {
      const acquire = (p: SetPartitioner) =>
        within(p.waitForAcquire(), 15_000, `${p.identifier} acquired`);
      assert.equal(await acquire(cut), PartitionState.ACQUIRED);
      assert.equal(await acquire(other), PartitionState.ACQUIRED);
      const holder = await lostWhileServerHoldsSession(zk, proxy, member);
      try {
        await eventually(
          async () => {
            const names = await admin.getChildren("/sp/party");
            const owners = await Promise.all(names.map((n) => admin.exists(`/sp/party/${n}`)));
            return owners.some((s) => s?.ephemeralOwner === zk.sessionId);
          },
          REJOIN_WAIT,
          "the cut member's party node owned by its new session",
        );
      } finally {
        await holder.close();
      }
      // Both go through RELEASE (connection, then membership change) and
      // settle on a split of the set between the two of them.
      await eventually(
        async () => {
          for (const p of [cut, other]) {
            if (p.state === PartitionState.RELEASE) await p.release();
          }
          return cut.state === PartitionState.ACQUIRED &&
            other.state === PartitionState.ACQUIRED &&
            (await admin.getChildren("/sp/party")).length === 2;
        },
        20_000,
        "both members acquired with two in the party",
      );
      const shares = [...cut].concat([...other]).sort();
      assert.deepEqual(shares, set);
      assert.ok([...cut].length > 0, "the member that was cut off has a share");
    } finally {
      await cut.finish();
      await other.finish();
    }
  },
);
