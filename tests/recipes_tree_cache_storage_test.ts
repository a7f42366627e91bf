/**
 * TreeCache keeps its nodes packed (ids, typed arrays, data in shared
 * chunks): what it answers must still be exactly what the server holds
 * through many updates (which compact the shared data), data of every size,
 * and nodes removed and added again (which reuse ids), and data handed out
 * must keep its bytes after the node changes.
 */
import assert from "node:assert/strict";
import type { ZooKeeperClient } from "../mod.ts";
import { clusterFixture } from "../lib/testing/mod.ts";
import { TreeCache } from "../recipes/tree_cache.ts";
import { chrootedClient, eventually, uniqueChroot, within } from "./helpers.ts";

const fixture = clusterFixture({ freePorts: true });

/** `length` bytes that tell `node` and `version` apart. */
function value(node: number, version: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (node * 31 + version * 7 + i) & 0xff;
  return bytes;
}

/** Fails unless every node under `root` is cached with the server's data and stat. */
async function assertMirrors(cache: TreeCache, zk: ZooKeeperClient, root: string) {
  await zk.sync(root);
  const names = await zk.getChildren(root);
  assert.deepEqual(cache.children(root), [...names].sort());
  for (const name of names) {
    const path = `${root}/${name}`;
    const server = await zk.get(path);
    const cached = cache.get(path);
    assert.deepEqual(cached?.data, server.data, `data of ${path}`);
    assert.deepEqual(cached?.stat, server.stat, `stat of ${path}`);
  }
}

Deno.test(
  "TreeCache: after many updates (compacting the shared data) it answers the server's data, and data handed out earlier keeps its bytes",
  async () => {
    await using zk = await chrootedClient(await fixture.cluster(), uniqueChroot("compact"));
    // Each round sets the 16 hot nodes and one cold node, 1,000 bytes each:
    // about one 16 KiB chunk of shared storage, which the cold value keeps
    // alive when the hot ones are replaced. 120 rounds strand ~1.8 MB there
    // for ~140 KB live, so the storage compacts.
    const HOT = 16;
    const ROUNDS = 120;
    const LENGTH = 1000;
    await zk.create("/t", "");
    await Promise.all(
      Array.from({ length: HOT + ROUNDS }, (_, n) => zk.create(`/t/n${n}`, value(n, 0, 10))),
    );
    await using cache = new TreeCache(zk, "/t");
    await within(cache.start(), 20_000, "start");
    const early = cache.get("/t/n0")?.data;
    assert.deepEqual(early, value(0, 0, 10));

    for (let round = 1; round <= ROUNDS; round++) {
      const sets = Array.from(
        { length: HOT },
        (_, n) => zk.set(`/t/n${n}`, value(n, round, LENGTH)),
      );
      const cold = HOT + round - 1;
      sets.push(zk.set(`/t/n${cold}`, value(cold, round, LENGTH)));
      await Promise.all(sets);
    }
    const last = `/t/n${HOT + ROUNDS - 1}`;
    await eventually(() => cache.get(last)?.stat.version === 1, 20_000, "the last update cached");
    await assertMirrors(cache, zk, "/t");
    assert.deepEqual(early, value(0, 0, 10), "a view handed out before keeps its bytes");
  },
);

Deno.test(
  "TreeCache: empty, small and large (over 1 KiB) data are cached as the server has them, as they shrink and grow",
  async () => {
    await using zk = await chrootedClient(await fixture.cluster(), uniqueChroot("sizes"));
    const sizes = [0, 1, 1024, 1025, 5000, 100_000];
    await zk.create("/t", "");
    await Promise.all(sizes.map((size, n) => zk.create(`/t/s${n}`, value(n, 0, size))));
    await using cache = new TreeCache(zk, "/t");
    await within(cache.start(), 20_000, "start");
    await assertMirrors(cache, zk, "/t");
    assert.equal(cache.get("/t/s0")?.data?.byteLength, 0);

    // Each node takes the next node's size, then the one after: every size to every other.
    for (let shift = 1; shift <= 2; shift++) {
      await Promise.all(
        sizes.map((_, n) => zk.set(`/t/s${n}`, value(n, shift, sizes[(n + shift) % sizes.length]))),
      );
      await eventually(
        () => sizes.every((_, n) => cache.get(`/t/s${n}`)?.stat.version === shift),
        20_000,
        `update ${shift} cached`,
      );
      await assertMirrors(cache, zk, "/t");
    }
  },
);

Deno.test(
  "TreeCache: subtrees removed and created again under other names are cached as the server has them",
  async () => {
    await using zk = await chrootedClient(await fixture.cluster(), uniqueChroot("reuse"));
    await zk.create("/t", "");
    const fill = async (prefix: string) => {
      for (let p = 0; p < 5; p++) {
        await zk.create(`/t/${prefix}${p}`, `${prefix}${p}`);
        await Promise.all(
          Array.from({ length: 20 }, (_, c) => zk.create(`/t/${prefix}${p}/k${c}`, `${c}`)),
        );
      }
    };
    await fill("a");
    await using cache = new TreeCache(zk, "/t");
    await within(cache.start(), 20_000, "start");
    assert.equal(cache.size, 1 + 5 * 21);

    for (let p = 0; p < 5; p++) await zk.delete(`/t/a${p}`, { recursive: true });
    await fill("b");
    await eventually(
      () => cache.size === 1 + 5 * 21 && cache.get("/t/a0") === undefined,
      20_000,
      "the new subtrees cached",
    );
    await assertMirrors(cache, zk, "/t");
    for (let p = 0; p < 5; p++) await assertMirrors(cache, zk, `/t/b${p}`);
    assert.deepEqual(cache.children("/t/b4"), Array.from({ length: 20 }, (_, c) => `k${c}`).sort());
  },
);
