/**
 * Whole subtrees: `dump` (JSON with data, ACLs and node types), `load`,
 * `cp` (also between clusters) and `mv` (one transaction).
 *
 * @module
 */

import type { ZooKeeperClient } from "../../lib/client.ts";
import type { ACL } from "../../lib/types.ts";
import type { CommandContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import {
  type AclJson,
  aclToJson,
  decodeData,
  encodeData,
  type EncodedData,
  lettersToPerms,
} from "../format.ts";
import { readFileBytes, readStdin, writeErr, writeOut } from "../io.ts";
import { relativeTo, resolvePath, underRoot } from "../paths.ts";
import { flatten, readTree } from "../walk.ts";

/** The `format` of a dump file. */
export const DUMP_FORMAT = "zk-dump/1";

/** How a node was created (a dump only ever says persistent or ephemeral; see `nodeType`). */
export type NodeType = "persistent" | "container" | "ttl" | "ephemeral";

/** One node of a dump. */
export interface DumpNode extends EncodedData {
  /** Its path relative to the dump's root (`/` for the root itself). */
  path: string;
  /** Its type. */
  type: NodeType;
  /** Its time to live, ms (TTL nodes only). */
  ttl?: number;
  /** Its ACL. */
  acl: AclJson[];
}

/** A dump file. */
export interface Dump {
  /** Always {@linkcode DUMP_FORMAT}. */
  format: string;
  /** The path the subtree was read from. */
  root: string;
  /** The nodes, parents first, in name order. */
  nodes: DumpNode[];
}

/**
 * Servers report 0 as the `ephemeralOwner` of containers and TTL nodes
 * (ZooKeeper's `DataNode.getClientEphemeralOwner`), so a dump can only tell
 * ephemeral nodes from the rest; `load` still creates the kinds a dump
 * file names.
 */
function nodeType(owner: bigint): NodeType {
  return owner === 0n ? "persistent" : "ephemeral";
}

/**
 * The subtree at `root` as a {@linkcode Dump}.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * import { snapshot } from "./subtree.ts";
 * declare const zk: ZooKeeperClient;
 * const dump = await snapshot(zk, "/app");
 * ```
 */
export async function snapshot(
  zk: ZooKeeperClient,
  root: string,
  signal?: AbortSignal,
): Promise<Dump> {
  const tree = await readTree(zk, root, { data: true, acl: true, signal });
  const nodes = [...flatten(tree)].map((node): DumpNode => ({
    path: relativeTo(root, node.path),
    type: nodeType(node.stat?.ephemeralOwner ?? 0n),
    acl: aclToJson(node.acl ?? []),
    ...encodeData(node.data ?? new Uint8Array()),
  }));
  return { format: DUMP_FORMAT, root, nodes };
}

function aclOf(node: DumpNode): ACL[] {
  return node.acl.map((entry) => {
    const perms = lettersToPerms(entry.perms);
    if (perms === undefined) throw new UsageError(`bad perms "${entry.perms}" in ${node.path}`);
    return { perms, id: { scheme: entry.scheme, id: entry.id } };
  });
}

/**
 * Creates `dump`'s nodes under `root`, parents first; with `overwrite`,
 * nodes that exist get the dump's data and ACL. Ephemeral nodes are left
 * out (they would die with this session). Resolves with how many were skipped.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * import { restore, snapshot } from "./subtree.ts";
 * declare const zk: ZooKeeperClient;
 * await restore(zk, await snapshot(zk, "/app"), "/app-copy", { overwrite: false });
 * ```
 */
export async function restore(
  zk: ZooKeeperClient,
  dump: Dump,
  root: string,
  options: { overwrite: boolean; signal?: AbortSignal },
): Promise<number> {
  const signal = options.signal;
  const nodes = dump.nodes.filter((node) => node.type !== "ephemeral");
  const put = async (node: DumpNode) => {
    const path = underRoot(root, node.path);
    const data = decodeData(node);
    const acl = aclOf(node);
    try {
      if (path === "/") throw Object.assign(new Error("exists"), { name: "NodeExistsError" });
      await zk.create(path, data, {
        acl,
        container: node.type === "container",
        ttl: node.type === "ttl" ? node.ttl : undefined,
        makeParents: node.path === "/",
        signal,
      });
    } catch (error) {
      if ((error as Error).name !== "NodeExistsError") throw error;
      if (!options.overwrite) {
        if (path !== "/") throw error;
        return;
      }
      await zk.set(path, data, { signal });
      await zk.setACL(path, acl, { signal });
    }
  };
  const [first, ...rest] = nodes;
  // The root may need parents made first (a retry after NoNode); after it,
  // one session's requests are applied in order, and a parent's create is
  // sent before its children's, so all can be in flight at once.
  if (first) await put(first);
  await Promise.all(rest.map(put));
  return dump.nodes.length - nodes.length;
}

function parseDump(text: string, source: string): Dump {
  let dump: Dump;
  try {
    dump = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`load: ${source} is not JSON (${(error as Error).message})`, "load");
  }
  if (dump?.format !== DUMP_FORMAT || !Array.isArray(dump.nodes)) {
    throw new UsageError(`load: ${source} is not a ${DUMP_FORMAT} dump`, "load");
  }
  for (const node of dump.nodes) {
    if (typeof node?.path !== "string" || !node.path.startsWith("/")) {
      throw new UsageError(`load: ${source} has a node without a path`, "load");
    }
    resolvePath("/", node.path);
  }
  return dump;
}

/**
 * `zk dump [PATH]`: the subtree as JSON, for `load`, backups and diffs.
 *
 * @example
 * ```sh
 * zk dump /app > app.json
 * ```
 */
export async function dump(ctx: CommandContext): Promise<void> {
  const root = ctx.path(0, ".");
  const zk = await ctx.client();
  const result = await snapshot(zk, root, ctx.signal);
  writeOut(JSON.stringify(result, null, 2) + "\n");
}

/**
 * `zk load [--overwrite] FILE [PATH]`: recreates a dump under PATH (default:
 * where it was dumped from).
 *
 * @example
 * ```sh
 * zk load app.json /app-restored
 * ```
 */
export async function load(ctx: CommandContext): Promise<void> {
  const file = ctx.args.positionals[0];
  let text: string;
  try {
    text = new TextDecoder().decode(file === "-" ? await readStdin() : readFileBytes(file));
  } catch (error) {
    throw new UsageError(`load: cannot read ${file} (${(error as Error).message})`, "load");
  }
  const parsed = parseDump(text, file);
  const root = ctx.args.positionals[1] === undefined ? resolvePath("/", parsed.root) : ctx.path(1);
  const zk = await ctx.client();
  const skipped = await restore(zk, parsed, root, {
    overwrite: ctx.flag("overwrite"),
    signal: ctx.signal,
  });
  if (skipped > 0) writeErr(`load: left out ${skipped} ephemeral node(s)`);
  if (ctx.json) ctx.printJson({ root, loaded: parsed.nodes.length - skipped, skipped });
}

/**
 * `zk cp [--to HOSTS] [--overwrite] SRC DST`: copies a subtree, within the
 * cluster or into another one.
 *
 * @example
 * ```sh
 * zk cp --to backup-zk:2181 /app /app
 * ```
 */
export async function cp(ctx: CommandContext): Promise<void> {
  const source = ctx.path(0);
  const target = ctx.path(1);
  const to = ctx.string("to");
  const zk = await ctx.client();
  const copy = await snapshot(zk, source, ctx.signal);
  const destination = to === undefined ? zk : await ctx.connection.open(to, ctx.signal);
  const skipped = await restore(destination, copy, target, {
    overwrite: ctx.flag("overwrite"),
    signal: ctx.signal,
  });
  if (skipped > 0) writeErr(`cp: left out ${skipped} ephemeral node(s)`);
  if (ctx.json) ctx.printJson({ from: source, to: target, copied: copy.nodes.length - skipped });
}

/**
 * `zk mv SRC DST`: moves a subtree in one transaction: all of it moves, or
 * nothing does (a node changed meanwhile fails it with `BadVersion`).
 *
 * @example
 * ```sh
 * zk mv /app/staging /app/live
 * ```
 */
export async function mv(ctx: CommandContext): Promise<void> {
  const source = ctx.path(0);
  const target = ctx.path(1);
  if (source === "/" || target === source || target.startsWith(source + "/")) {
    throw new UsageError(`mv: cannot move ${source} into ${target}`, "mv");
  }
  const zk = await ctx.client();
  const tree = await readTree(zk, source, { data: true, acl: true, signal: ctx.signal });
  const nodes = [...flatten(tree)];
  const transaction = zk.transaction();
  for (const node of nodes) {
    if (nodeType(node.stat?.ephemeralOwner ?? 0n) === "ephemeral") {
      throw new UsageError(`mv: ${node.path} is ephemeral: its session owns it`, "mv");
    }
    transaction.create(underRoot(target, relativeTo(source, node.path)), node.data ?? null, {
      acl: node.acl,
    });
  }
  for (const node of nodes.reverse()) {
    transaction.delete(node.path, { version: node.stat?.version });
  }
  await transaction.commit({ signal: ctx.signal });
  if (ctx.json) ctx.printJson({ from: source, to: target, moved: nodes.length });
}
