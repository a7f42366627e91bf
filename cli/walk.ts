/**
 * Reading a subtree: children listed concurrently (one connection pipelines
 * the requests), sorted by name, and nodes deleted while we read skipped.
 *
 * @module
 */

import type { ZooKeeperClient } from "../lib/client.ts";
import type { ACL, Stat } from "../lib/types.ts";

/** A node of a subtree. */
export interface TreeNode {
  /** Its name (the last segment; `/` for the root). */
  readonly name: string;
  /** Its full path. */
  readonly path: string;
  /** Its children, sorted by name (empty below the depth limit). */
  readonly children: TreeNode[];
  /** Its data, when asked for. */
  data?: Uint8Array;
  /** Its metadata, when data was asked for. */
  stat?: Stat;
  /** Its ACL, when asked for. */
  acl?: ACL[];
}

/** What {@linkcode readTree} reads besides the names. */
export interface ReadTreeOptions {
  /** Levels below the root to read (default: all). */
  depth?: number;
  /** Read every node's data and stat. */
  data?: boolean;
  /** Read every node's ACL. */
  acl?: boolean;
  /** Aborts the walk. */
  signal?: AbortSignal;
}

function isNoNode(error: unknown): boolean {
  return (error as Error)?.name === "NoNodeError";
}

function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/**
 * The subtree at `root`. A missing root fails with `NoNodeError`; nodes below
 * it that go while we read are left out.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * import { readTree } from "./walk.ts";
 * declare const zk: ZooKeeperClient;
 * const tree = await readTree(zk, "/app", { depth: 2 });
 * ```
 */
export async function readTree(
  zk: ZooKeeperClient,
  root: string,
  options: ReadTreeOptions = {},
): Promise<TreeNode> {
  const node = await readNode(zk, root, 0, options);
  if (node === undefined) throw new Error("unreachable: the root's NoNode is thrown");
  return node;
}

async function readNode(
  zk: ZooKeeperClient,
  path: string,
  level: number,
  options: ReadTreeOptions,
): Promise<TreeNode | undefined> {
  const signal = options.signal;
  const name = path === "/" ? "/" : path.slice(path.lastIndexOf("/") + 1);
  const node: TreeNode = { name, path, children: [] };
  try {
    const [names] = await Promise.all([
      level < (options.depth ?? Infinity) ? zk.getChildren(path, { signal }) : [],
      options.data
        ? zk.get(path, { signal }).then(({ data, stat }) => {
          node.data = data;
          node.stat = stat;
        })
        : undefined,
      options.acl ? zk.getACL(path, { signal }).then(({ acl }) => (node.acl = acl)) : undefined,
    ]);
    const children = await Promise.all(
      names.sort().map((child) => readNode(zk, childPath(path, child), level + 1, options)),
    );
    for (const child of children) if (child) node.children.push(child);
    return node;
  } catch (error) {
    if (level > 0 && isNoNode(error)) return undefined;
    throw error;
  }
}

/**
 * The nodes of `tree`, parents before children, in name order.
 *
 * @example
 * ```ts
 * import type { TreeNode } from "./walk.ts";
 * import { flatten } from "./walk.ts";
 * declare const tree: TreeNode;
 * for (const node of flatten(tree)) console.log(node.path);
 * ```
 */
export function* flatten(tree: TreeNode): Generator<TreeNode> {
  yield tree;
  for (const child of tree.children) yield* flatten(child);
}
