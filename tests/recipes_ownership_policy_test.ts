/**
 * The ownership policy (Curator's Standard and SessionConnectionStateErrorPolicy):
 * under `"suspended"` every ownership signal aborts when the connection drops,
 * under `"lost"` only when the session is gone. Tried with a real disconnect
 * shorter than the session, and a real expiry.
 */
import assert from "node:assert/strict";
import {
  BadArgumentsError,
  ConfigurationError,
  connect,
  ConnectionLossError,
  type OwnershipPolicy,
  SessionExpiredError,
  type ZooKeeperClient,
  ZooKeeperClient as Client,
} from "../mod.ts";
import { clusterFixture, expireSession, FaultProxy } from "../lib/testing/mod.ts";
import { Lock } from "../recipes/lock.ts";
import { Semaphore } from "../recipes/semaphore.ts";
import { Election } from "../recipes/election.ts";
import { chrootedClient, deferred, uniqueChroot, whileCutOff } from "./helpers.ts";

/** A signal of each kind of ownership: a lock handle, a semaphore lease, leadership. */
async function ownerships(
  zk: ZooKeeperClient,
  policy: OwnershipPolicy | undefined,
): Promise<{ signals: Record<string, AbortSignal>; release: () => Promise<void> }> {
  const lock = await new Lock(zk, "/lock", "me", { ownershipPolicy: policy }).acquire();
  const lease = await new Semaphore(zk, "/sem", "me", 1, { ownershipPolicy: policy }).acquire();
  const leading = deferred<AbortSignal>();
  const stepDown = deferred<void>();
  const election = new Election(zk, "/election", "me", { ownershipPolicy: policy });
  const running = election.run(async (leadership) => {
    leading.resolve(leadership);
    await stepDown.promise;
  });
  const leadership = await leading.promise;
  return {
    signals: { lock: lock.signal, lease: lease.signal, leadership },
    async release() {
      stepDown.resolve();
      await running;
      await lock.release();
      await lease.release();
    },
  };
}

const fixture = clusterFixture({ freePorts: true });

/** A client through a fresh proxy, under a fresh chroot, with `policy` as its default. */
async function proxied(policy?: OwnershipPolicy) {
  const cluster = await fixture.cluster();
  const member = cluster.members[0];
  const chroot = uniqueChroot(`policy-${policy}`);
  await (await chrootedClient(cluster, chroot)).close();
  const proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
  const zk = await connect(`${proxy.address}${chroot}`, {
    sessionTimeout: 8000,
    ownershipPolicy: policy,
  });
  return {
    zk,
    proxy,
    async [Symbol.asyncDispose]() {
      await zk.close();
      await proxy.close();
    },
  };
}

Deno.test("ownership policy: the client option is checked, stored and shown", async () => {
  const hosts = (await fixture.cluster()).connectionString();
  assert.equal(new Client({ hosts }).ownershipPolicy, "suspended");
  assert.equal(new Client({ hosts, ownershipPolicy: "lost" }).ownershipPolicy, "lost");
  assert.throws(
    () => new Client({ hosts, ownershipPolicy: "never" as OwnershipPolicy }),
    ConfigurationError,
  );
  const zk = new Client({ hosts });
  assert.throws(
    () => new Lock(zk, "/l", "", { ownershipPolicy: "sometimes" as OwnershipPolicy }),
    BadArgumentsError,
  );
});

const cases: [string, OwnershipPolicy | undefined, OwnershipPolicy | undefined, boolean][] = [
  ["the default (suspended)", undefined, undefined, true],
  ["a client set to lost", "lost", undefined, false],
  ["a recipe set to lost on a suspended client", "suspended", "lost", false],
  ["a recipe set to suspended on a lost client", "lost", "suspended", true],
];
for (const [what, clientPolicy, recipePolicy, aborts] of cases) {
  Deno.test(
    `ownership policy, ${what}: a disconnect shorter than the session ${
      aborts ? "aborts" : "keeps"
    } ownership`,
    async () => {
      await using env = await proxied(clientPolicy);
      const { zk, proxy } = env;
      const held = await ownerships(zk, recipePolicy);
      const session = zk.sessionId;
      await whileCutOff(zk, proxy, () => {
        for (const [kind, signal] of Object.entries(held.signals)) {
          assert.equal(signal.aborted, aborts, `${kind} while SUSPENDED`);
          if (aborts) assert.ok(signal.reason instanceof ConnectionLossError, kind);
        }
        return Promise.resolve();
      });
      assert.equal(zk.sessionId, session, "the same session: the blip was short");
      for (const [kind, signal] of Object.entries(held.signals)) {
        assert.equal(signal.aborted, aborts, `${kind} after the reconnect`);
      }
      await held.release();
      for (const [kind, signal] of Object.entries(held.signals)) {
        assert.ok(signal.aborted, `${kind} after release`);
      }
    },
  );
}

Deno.test("ownership policy: under lost, a session expiry still aborts every ownership", async () => {
  const cluster = await fixture.cluster();
  await using env = await proxied("lost");
  const { zk } = env;
  const held = await ownerships(zk, undefined);
  await expireSession(zk, { cluster });
  for (const [kind, signal] of Object.entries(held.signals)) {
    assert.ok(signal.aborted, kind);
    assert.ok(signal.reason instanceof SessionExpiredError, kind);
  }
  await held.release();
});
