/**
 * Writing: `create`, `set` and `rm`.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { readFileBytes, readStdin } from "../io.ts";
import { statToJson } from "../format.ts";
import { resolvePath } from "../paths.ts";

/** The data argument: DATA, or the contents of `--file` (`-` for stdin), or none. */
async function dataArgument(ctx: CommandContext): Promise<Uint8Array | string | null> {
  const file = ctx.string("file");
  const inline = ctx.args.positionals[1];
  if (file !== undefined && inline !== undefined) {
    throw new UsageError(`${ctx.command}: give DATA or --file, not both`, ctx.command);
  }
  if (file === "-") return await readStdin();
  if (file !== undefined) {
    try {
      return readFileBytes(file);
    } catch (error) {
      throw new UsageError(`${ctx.command}: cannot read ${file} (${(error as Error).message})`);
    }
  }
  return inline ?? null;
}

/**
 * `zk create [-e] [-s] [-c] [--ttl MS] [-p] PATH [DATA]`: prints the path
 * created (the actual name of a sequential node).
 *
 * @example
 * ```sh
 * zk create -s /jobs/job- payload
 * ```
 */
export async function create(ctx: CommandContext): Promise<number | void> {
  const raw = ctx.args.positionals[0];
  const sequential = ctx.flag("sequential");
  // A sequential node's name may end with "/" (`/jobs/`): the server appends digits.
  const path = sequential && raw.endsWith("/")
    ? resolvePath(ctx.state.cwd, raw.slice(0, -1)) + "/"
    : ctx.path(0);
  const data = await dataArgument(ctx);
  const ephemeral = ctx.flag("ephemeral");
  const zk = await ctx.client();
  const created = await zk.create(path, data, {
    ephemeral,
    sequential,
    container: ctx.flag("container"),
    ttl: ctx.number("ttl"),
    makeParents: ctx.flag("parents"),
    includeStat: true,
    signal: ctx.signal,
  });
  if (ctx.json) return ctx.printJson({ path: created.path, stat: statToJson(created.stat) });
  ctx.print(created.path);
}

/**
 * `zk set [-v VERSION] PATH [DATA]`: replaces the data (empty without DATA).
 *
 * @example
 * ```sh
 * zk set -v 3 /app/config color=green
 * ```
 */
export async function set(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0);
  const data = await dataArgument(ctx);
  const zk = await ctx.client();
  const stat = await zk.set(path, data, { version: ctx.number("version"), signal: ctx.signal });
  if (ctx.json) ctx.printJson({ path, stat: statToJson(stat) });
}

/**
 * `zk rm [-r] [-v VERSION] PATH...`: deletes the nodes, in order.
 *
 * @example
 * ```sh
 * zk rm -r /app/old
 * ```
 */
export async function rm(ctx: CommandContext): Promise<void> {
  const paths = ctx.args.positionals.map((_, i) => ctx.path(i));
  const recursive = ctx.flag("recursive");
  const version = ctx.number("version");
  if (recursive && version !== undefined) {
    throw new UsageError("rm: -v and -r do not go together", "rm");
  }
  if (recursive && paths.includes("/")) {
    throw new UsageError("rm: refusing to delete the whole tree (rm -r /)", "rm");
  }
  const zk = await ctx.client();
  for (const path of paths) {
    await zk.delete(path, { recursive, version, signal: ctx.signal });
  }
  if (ctx.json) ctx.printJson({ deleted: paths });
}
