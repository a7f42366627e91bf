/**
 * Helpers for the harness's own tests: is a port open, which processes run
 * from a folder, and waiting for a condition with a deadline.
 */
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEMP_PREFIX } from "../lib/testing/cleanup.ts";
import { sleep } from "../lib/abort.ts";

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let open = false;
    socket.once("connect", () => {
      open = true;
      socket.destroy();
    });
    socket.once("error", () => {});
    socket.once("close", () => resolve(open));
  });
}

/** Pids of processes whose command line mentions `text` (like `pgrep -f`). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(text) && Number(entry) !== Deno.pid) pids.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return pids;
}

/** Polls `predicate` every 50 ms until it holds; throws after `timeout` ms. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeout = 20_000,
): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The harness temp folders this process owns right now. */
export function ownHarnessDirs(): string[] {
  const dirs: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    try {
      const owner = readFileSync(join(tmpdir(), name, "owner.pid"), "utf8").trim();
      if (Number(owner) === Deno.pid) dirs.push(join(tmpdir(), name));
    } catch {
      // Being removed, or not ours.
    }
  }
  return dirs;
}
