/**
 * The tree the TreeCache benches cache: a root, 100 children and `leaves`
 * leaves under each, 32 bytes of data apiece (`leaves` = 99 gives 10,001
 * nodes, 999 gives 100,001). Runtime-neutral: used by `cache_bench.ts` and
 * by the Deno and Bun workers of `cache_bench_run.ts`.
 *
 * @module
 */

import type { ZooKeeperClient } from "../mod.ts";

/** Children of the root. */
export const CACHE_TREE_CHILDREN = 100;
/** Bytes of data on every node. */
export const CACHE_TREE_DATA: Uint8Array = new Uint8Array(32).fill(7);

/** The shape of one bench tree. */
export interface CacheTree {
  /** Its root's path. */
  readonly root: string;
  /** Leaves under each child of the root. */
  readonly leaves: number;
  /** Every node, the root included. */
  readonly nodes: number;
}

/** The tree with `leaves` leaves under each of the root's 100 children. */
export function cacheTree(leaves: number): CacheTree {
  return {
    root: `/zk-client-bench-cache-${leaves}`,
    leaves,
    nodes: 1 + CACHE_TREE_CHILDREN + CACHE_TREE_CHILDREN * leaves,
  };
}

/** A leaf's path (`c` in 0..99, `l` in 0..leaves-1). */
export function leafPath(tree: CacheTree, c: number, l: number): string {
  return `${tree.root}/c${c}/l${l}`;
}

/**
 * Makes sure the tree is on the server: kept if it has the right number of
 * nodes, else made again. Creates go in transactions of 500, 8 in flight,
 * so 100,000 nodes take seconds, not minutes of one round trip each.
 */
export async function ensureCacheTree(zk: ZooKeeperClient, tree: CacheTree): Promise<void> {
  const { root, leaves } = tree;
  const stat = await zk.exists(root);
  if (stat !== null && (await zk.getAllChildrenNumber(root)) === tree.nodes - 1) return;
  if (stat !== null) await zk.delete(root, { recursive: true });
  const top = zk.transaction().create(root, CACHE_TREE_DATA);
  for (let c = 0; c < CACHE_TREE_CHILDREN; c++) top.create(`${root}/c${c}`, CACHE_TREE_DATA);
  await top.commit();
  const batches: string[][] = [];
  let batch: string[] = [];
  for (let c = 0; c < CACHE_TREE_CHILDREN; c++) {
    for (let l = 0; l < leaves; l++) {
      batch.push(leafPath(tree, c, l));
      if (batch.length === 500) batches.push(batch.splice(0));
    }
  }
  if (batch.length > 0) batches.push(batch);
  batch = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const transaction = zk.transaction();
      for (const path of batches[next++]) transaction.create(path, CACHE_TREE_DATA);
      await transaction.commit();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
