/**
 * A recipe's wait that ends without its watch firing (a timeout, an abort)
 * takes that watch off the server too, not only off the client's table.
 */
import assert from "node:assert/strict";
import { Barrier } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { eventually, serverHoldsNoWatch } from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });

Deno.test("a barrier wait that times out leaves no watch on the server", async (t) => {
  await using zk = await fixture.client(t);
  const barrier = new Barrier(zk, "/gate");
  await barrier.create();
  assert.equal(await barrier.wait({ timeout: 50 }), false);
  await eventually(() => serverHoldsNoWatch(zk, "/gate"), 5000, "the exists watch removed");
});

Deno.test("an aborted barrier wait leaves no watch on the server, and another waiter keeps its own", async (t) => {
  await using zk = await fixture.client(t);
  await using admin = await fixture.client(t);
  const barrier = new Barrier(zk, "/gate");
  await barrier.create();
  const stop = new AbortController();
  const aborted = barrier.wait({ signal: stop.signal });
  const other = new AbortController();
  const kept = barrier.wait({ signal: other.signal });
  await zk.exists("/"); // both waits have set their watch
  stop.abort(new Error("no longer needed"));
  await assert.rejects(aborted, /no longer needed/);
  await zk.exists("/");
  await new Barrier(admin, "/gate").remove();
  assert.equal(await kept, true, "the other waiter still woke up");
  await eventually(() => serverHoldsNoWatch(zk, "/gate"), 5000, "no watch left");
});
