/** The fixture's client groups: N clients in one chroot, closed together by `await using`. */
import assert from "node:assert/strict";
import { BadArgumentsError, State, type ZooKeeperClient } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";

const fixture = clusterFixture({ freePorts: true });

Deno.test("clients(t, n) connects n clients that share the test's chroot", async (t) => {
  await using clients = await fixture.clients(t, 3);
  assert.equal(clients.length, 3);
  const [a, b, c] = clients;
  await a.create("/shared", "x");
  assert.ok(await b.exists("/shared"));
  assert.ok(await c.exists("/shared"));
  assert.equal(new Set(clients.map((zk) => zk.sessionId)).size, 3);
});

Deno.test("await using closes every client of the group", async (t) => {
  let kept: ZooKeeperClient[] = [];
  {
    await using clients = await fixture.clients(t, 2);
    kept = [...clients];
  }
  for (const zk of kept) assert.equal(zk.state, State.LOST);
});

Deno.test("clients(t, 0) is a typed error", async (t) => {
  await assert.rejects(fixture.clients(t, 0), BadArgumentsError);
});
