/**
 * Browsing: `ls`, `get`, `stat`, `tree`, `find` and `grep`.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { encodeData, formatStat, statToJson } from "../format.ts";
import { isTerminal, writeOut } from "../io.ts";
import { flatten, readTree, type TreeNode } from "../walk.ts";
import { UsageError } from "../errors.ts";

/**
 * `zk ls [-R] [-s] [PATH]`: the children, sorted, one a line.
 *
 * @example
 * ```sh
 * zk ls -R /app
 * ```
 */
export async function ls(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0, ".");
  const zk = await ctx.client();
  if (ctx.flag("recursive")) {
    const tree = await readTree(zk, path, { signal: ctx.signal });
    const paths = [...flatten(tree)].slice(1).map((node) => node.path);
    if (ctx.json) return ctx.printJson({ path, nodes: paths });
    for (const p of paths) ctx.print(p);
    return;
  }
  const { children, stat } = await zk.getChildren(path, { includeStat: true, signal: ctx.signal });
  children.sort();
  if (ctx.json) {
    return ctx.printJson(
      ctx.flag("stat") ? { path, children, stat: statToJson(stat) } : { path, children },
    );
  }
  for (const child of children) ctx.print(child);
  if (ctx.flag("stat")) writeOut(formatStat(stat));
}

/**
 * `zk get [-s] PATH`: the data, byte for byte (a newline is added only on a
 * terminal, where it would otherwise run into the prompt).
 *
 * @example
 * ```sh
 * zk get /app/config > config.txt
 * ```
 */
export async function get(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0);
  const zk = await ctx.client();
  const { data, stat } = await zk.get(path, { signal: ctx.signal });
  if (ctx.json) {
    const json = { path, ...encodeData(data) };
    return ctx.printJson(ctx.flag("stat") ? { ...json, stat: statToJson(stat) } : json);
  }
  writeOut(data);
  if ((ctx.state.interactive || isTerminal(1)) && data.length > 0 && data.at(-1) !== 10) {
    writeOut("\n");
  }
  if (ctx.flag("stat")) writeOut(formatStat(stat));
}

/**
 * `zk stat PATH`: the metadata, as zkCli prints it.
 *
 * @example
 * ```sh
 * zk stat --json /app
 * ```
 */
export async function stat(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0);
  const zk = await ctx.client();
  const found = await zk.exists(path, { signal: ctx.signal });
  if (found === null) {
    const { NoNodeError } = await import("../../lib/errors.ts");
    throw new NoNodeError(undefined, { path });
  }
  if (ctx.json) return ctx.printJson({ path, stat: statToJson(found) });
  writeOut(formatStat(found));
}

interface TreeJson {
  name: string;
  path: string;
  children: TreeJson[];
}

function treeJson(node: TreeNode): TreeJson {
  return { name: node.name, path: node.path, children: node.children.map(treeJson) };
}

function drawTree(node: TreeNode, prefix: string, lines: string[]): void {
  node.children.forEach((child, i) => {
    const last = i === node.children.length - 1;
    lines.push(`${prefix}${last ? "└── " : "├── "}${child.name}`);
    drawTree(child, prefix + (last ? "    " : "│   "), lines);
  });
}

/**
 * `zk tree [--depth N] [PATH]`: the subtree, drawn.
 *
 * @example
 * ```sh
 * zk tree --depth 2 /
 * ```
 */
export async function tree(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0, ".");
  const depth = ctx.number("depth");
  if (depth !== undefined && !(Number.isInteger(depth) && depth >= 0)) {
    throw new UsageError("tree: --depth takes a whole number ≥ 0", "tree");
  }
  const zk = await ctx.client();
  const root = await readTree(zk, path, { depth, signal: ctx.signal });
  if (ctx.json) return ctx.printJson(treeJson(root));
  const lines = [root.path];
  drawTree(root, "", lines);
  writeOut(lines.join("\n") + "\n");
}

/** `glob` as a regular expression: `*` and `?` within a segment, `**` across segments. */
function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      source += ".*";
      i++;
      if (glob[i + 1] === "/") i++; // `**/x` also matches `x` itself
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * `zk find PATH GLOB`: the nodes below PATH whose name matches GLOB, or,
 * when GLOB has a `/`, whose path relative to PATH does.
 *
 * @example
 * ```sh
 * zk find / "lock-*"
 * ```
 */
export async function find(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0);
  const glob = ctx.args.positionals[1];
  const pattern = globToRegExp(glob);
  const byPath = glob.includes("/");
  const zk = await ctx.client();
  const root = await readTree(zk, path, { signal: ctx.signal });
  const found = [...flatten(root)].slice(1).filter((node) => {
    const relative = node.path.slice(path === "/" ? 1 : path.length + 1);
    return pattern.test(byPath ? relative : node.name);
  }).map((node) => node.path);
  if (ctx.json) return ctx.printJson(found);
  for (const p of found) ctx.print(p);
}

/**
 * `zk grep [-i] PATH PATTERN`: the lines of data in the subtree that match
 * PATTERN (a regular expression), as `path: line`.
 *
 * @example
 * ```sh
 * zk grep -i /app "timeout"
 * ```
 */
export async function grep(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0);
  let pattern: RegExp;
  try {
    pattern = new RegExp(ctx.args.positionals[1], ctx.flag("ignore-case") ? "i" : "");
  } catch (error) {
    throw new UsageError(`grep: bad PATTERN (${(error as Error).message})`, "grep");
  }
  const zk = await ctx.client();
  const root = await readTree(zk, path, { data: true, signal: ctx.signal });
  const matches: { path: string; line: string }[] = [];
  const decoder = new TextDecoder();
  for (const node of flatten(root)) {
    if (!node.data || node.data.length === 0) continue;
    for (const line of decoder.decode(node.data).split("\n")) {
      if (pattern.test(line)) matches.push({ path: node.path, line });
    }
  }
  if (ctx.json) return ctx.printJson(matches);
  for (const match of matches) ctx.print(`${match.path}: ${match.line}`);
}
