/**
 * Issue 13, item 7: `Barrier.remove()` after a lost reply takes down only the
 * barrier that was up when it was called, not one raised again meanwhile.
 */
import assert from "node:assert/strict";
import { ZooKeeperCluster } from "../lib/testing/mod.ts";
import { Barrier } from "../recipes/barrier.ts";
import { chrootedClient, uniqueChroot } from "./helpers.ts";
import { Op, pathOf, RequestFaults } from "./request_faults.ts";

Deno.test({
  name: "a barrier removed through a lost reply",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn(t) {
    // Sessions of up to 20 s: a client held away while others act keeps its session.
    await using cluster = await ZooKeeperCluster.start({ freePorts: true, tickTime: 1000 });

    await t.step("leaves alone the barrier another client raised meanwhile", async () => {
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

    await t.step("removes the barrier when a try never reached the server", async () => {
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
  },
});
