/**
 * Watching: `watch` streams a node's (or subtree's) changes until
 * interrupted; `wait` returns once a node exists or is gone.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { EXIT_FAILURE } from "../errors.ts";
import { writeErr } from "../io.ts";

/**
 * `zk watch [-r] PATH`: one line (`CHANGED /app/config`) or one JSON object
 * per event, until Ctrl-C. Connection changes show as `NONE` events with
 * their state: changes made while disconnected were not seen.
 *
 * @example
 * ```sh
 * zk watch -r --json /app
 * ```
 */
export async function watch(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0);
  const zk = await ctx.client();
  const events = zk.watch(path, { recursive: ctx.flag("recursive"), signal: ctx.signal });
  // The watch is in place once the server answered addWatch; say so for scripts and tests.
  await zk.sync(path, { signal: ctx.signal }).catch(() => {});
  if (!ctx.signal.aborted) writeErr(`watching ${path}${ctx.flag("recursive") ? " and below" : ""}`);
  for await (const event of events) {
    if (ctx.json) ctx.printJson({ type: event.type, path: event.path, state: event.state });
    else ctx.print(event.type === "NONE" ? `NONE ${event.state}` : `${event.type} ${event.path}`);
  }
}

/**
 * `zk wait PATH [--exists|--gone] [--timeout MS]`: returns (exit 0) once the
 * node exists (or is gone); exits 1 if `--timeout` passes first.
 *
 * @example
 * ```sh
 * zk wait /app/ready --exists --timeout 30000 && ./start.sh
 * ```
 */
export async function wait(ctx: CommandContext): Promise<number | void> {
  const path = ctx.path(0);
  if (ctx.flag("exists") && ctx.flag("gone")) {
    const { UsageError } = await import("../errors.ts");
    throw new UsageError("wait: --exists or --gone, not both", "wait");
  }
  const gone = ctx.flag("gone");
  const timeout = ctx.number("timeout");
  const deadline = timeout === undefined ? undefined : AbortSignal.timeout(timeout);
  const signal = deadline ? AbortSignal.any([ctx.signal, deadline]) : ctx.signal;
  const zk = await ctx.client();
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  const watcher = () => fired();
  let fired: () => void = () => {};
  try {
    while (true) {
      const changed = new Promise<void>((resolve) => (fired = resolve));
      const stat = await zk.exists(path, { watch: watcher, signal });
      if ((stat === null) === gone) break;
      await Promise.race([changed, aborted]);
    }
  } catch (error) {
    if (deadline?.aborted && !ctx.signal.aborted) {
      writeErr(`Timeout: ${path} ${gone ? "still exists" : "does not exist"} after ${timeout} ms`);
      return EXIT_FAILURE;
    }
    throw error;
  } finally {
    // Leave no watch behind on the server (the shell's session goes on).
    await zk.removeWatches(path, { type: "data", watcher }).catch(() => {});
  }
  if (ctx.json) ctx.printJson({ path, exists: !gone });
}
