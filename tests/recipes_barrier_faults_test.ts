/**
 * Issue 13, item 7: `Barrier.remove()` after a lost reply takes down only the
 * barrier that was up when it was called, not one raised again meanwhile.
 */
import assert from "node:assert/strict";
import { clusterFixture } from "../lib/testing/mod.ts";
import { Barrier } from "../recipes/barrier.ts";
import { chrootedClient, uniqueChroot } from "./helpers.ts";
import { Op, pathOf, RequestFaults } from "./request_faults.ts";

// The cluster's sessions of up to 20 s: a client held away while others act keeps its session.
const fixture = clusterFixture({ freePorts: true, tickTime: 1000 });

Deno.test("a barrier removed through a lost reply leaves alone the barrier another client raised meanwhile", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("barrier-remove");
  await using admin = await chrootedClient(cluster, chroot);
  const faults = new RequestFaults();
  await using zk = await chrootedClient(cluster, chroot, { transport: faults });
  await new Barrier(admin, "/gate").create();
  const first = await admin.exists("/gate");

  // Our delete is applied; its reply is lost; another client raises the
  // barrier again before we are back.
  faults.holdReconnects();
  const dropped = faults.dropReplyTo((r) =>
    r.type === Op.delete && pathOf(r.body).endsWith("/gate")
  );
  const removing = new Barrier(zk, "/gate").remove();
  await dropped;
  assert.equal(await admin.exists("/gate"), null, "our delete went through");
  await new Barrier(admin, "/gate").create();
  faults.releaseReconnects();

  assert.equal(await removing, true);
  const again = await admin.exists("/gate");
  assert.ok(again !== null, "the new barrier is still up");
  assert.notEqual(again.czxid, first!.czxid);
});

Deno.test("a barrier removed through a lost reply removes the barrier when a try never reached the server", async () => {
  const cluster = await fixture.cluster();
  const chroot = uniqueChroot("barrier-remove-retry");
  await using admin = await chrootedClient(cluster, chroot);
  const faults = new RequestFaults();
  await using zk = await chrootedClient(cluster, chroot, { transport: faults });
  await new Barrier(admin, "/gate").create();
  const cut = faults.cutBefore((r) => r.type === Op.delete && pathOf(r.body).endsWith("/gate"));
  const removing = new Barrier(zk, "/gate").remove();
  await cut;
  assert.equal(await removing, true);
  assert.equal(await admin.exists("/gate"), null);
  assert.equal(await new Barrier(zk, "/gate").remove(), false, "nothing up any more");
});
