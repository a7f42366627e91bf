/**
 * Lifetimes you can see: the iterators of `watch()` and `states()` end with
 * `await using`, and the watch's server side goes with them.
 */
import assert from "node:assert/strict";
import type { State } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { eventually, serverHoldsNoWatch } from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });

Deno.test("a watch() iterator disposed with await using removes its server watch", async (t) => {
  await using zk = await fixture.client(t);
  await zk.create("/w", "0");
  {
    await using events = zk.watch("/w");
    await zk.checkWatches("/w"); // registered
    void events;
  }
  await eventually(() => serverHoldsNoWatch(zk, "/w"), 5000, "the server watch removed");
});

Deno.test("a states() iterator disposed with await using ends", async (t) => {
  await using zk = await fixture.client(t);
  let iterator: AsyncIterableIterator<State> | undefined;
  {
    await using states = zk.states();
    iterator = states;
  }
  assert.equal((await iterator.next()).done, true);
});
