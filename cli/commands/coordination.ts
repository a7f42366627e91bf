/**
 * Coordination from the shell, on kazoo's znode layout so that kazoo and
 * @zk/client services share the same paths: `lock` and `elect` run a
 * program while owning, `counter` and `queue` read and change shared state.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { hostName, processId, writeErr, writeOut } from "../io.ts";
import { DEFAULT_GRACE, runProgram } from "../child.ts";
import { Lock } from "../../recipes/lock.ts";
import { Election } from "../../recipes/election.ts";
import { Counter } from "../../recipes/counter.ts";
import { Queue } from "../../recipes/queue.ts";
import { encodeData } from "../format.ts";

function identifier(ctx: CommandContext): string {
  return ctx.string("id") ?? `${hostName()}:${processId()}`;
}

function grace(ctx: CommandContext): number {
  const value = ctx.number("grace") ?? DEFAULT_GRACE;
  if (!(value >= 0)) throw new UsageError(`${ctx.command}: --grace must be ≥ 0`, ctx.command);
  return value;
}

function reasonOf(signal: AbortSignal): string {
  const reason = signal.reason as Error | undefined;
  return reason?.name ? `${reason.name.replace(/Error$/, "")}` : "released";
}

/**
 * `zk lock PATH -- PROGRAM ARGS...`: waits for the lock, runs the program,
 * releases the lock when it exits and exits with its code. If the lock is
 * lost first (session expired, connection suspended, node deleted), the
 * program gets SIGTERM, then SIGKILL after `--grace` ms.
 *
 * @example
 * ```sh
 * zk lock /locks/backup -- ./backup.sh
 * ```
 */
export async function lock(ctx: CommandContext): Promise<number> {
  const path = ctx.path(0);
  const program = ctx.args.rest ?? [];
  const graceMs = grace(ctx);
  const zk = await ctx.client();
  const handle = await new Lock(zk, path, identifier(ctx)).acquire({
    signal: ctx.signal,
    timeout: ctx.number("wait"),
  });
  const ownership = AbortSignal.any([handle.signal, ctx.signal]);
  const exit = await runProgram(program, ownership, graceMs);
  if (handle.signal.aborted) {
    writeErr(`zk lock: lost the lock on ${path} (${reasonOf(handle.signal)})`);
    // The node goes with the session if the delete cannot get through.
    handle.release().catch(() => {});
  } else {
    await handle.release();
  }
  return exit.code;
}

/**
 * `zk elect PATH -- PROGRAM ARGS...`: joins the election, runs the program
 * once elected, steps down when it exits and exits with its code. Losing
 * leadership first stops the program as `zk lock` does.
 *
 * @example
 * ```sh
 * zk elect --id $(hostname) /election/scheduler -- ./scheduler
 * ```
 */
export async function elect(ctx: CommandContext): Promise<number> {
  const path = ctx.path(0);
  const program = ctx.args.rest ?? [];
  const graceMs = grace(ctx);
  const zk = await ctx.client();
  let code = 0;
  await new Election(zk, path, identifier(ctx)).run(async (leadership) => {
    const exit = await runProgram(program, leadership, graceMs);
    if (exit.stopped && !ctx.signal.aborted) {
      writeErr(`zk elect: lost leadership of ${path} (${reasonOf(leadership)})`);
    }
    code = exit.code;
  }, { signal: ctx.signal });
  return code;
}

/**
 * `zk counter PATH [+N|-N] [--float]`: prints the value, after adding N if given.
 *
 * @example
 * ```sh
 * zk counter /stats/visits +1
 * ```
 */
export async function counter(ctx: CommandContext): Promise<void> {
  const path = ctx.path(0);
  const delta = ctx.args.positionals[1];
  let amount: number | undefined;
  if (delta !== undefined) {
    amount = Number(delta);
    if (!/^[+-]/.test(delta) || !Number.isFinite(amount)) {
      throw new UsageError(`counter: the change is +N or -N, not "${delta}"`, "counter");
    }
  }
  const zk = await ctx.client();
  const float = ctx.flag("float");
  const counter = new Counter(zk, path, float ? { type: "float", default: 0 } : {});
  const value = amount === undefined
    ? await counter.get({ signal: ctx.signal })
    : await counter.add(amount, { signal: ctx.signal });
  if (ctx.json) return ctx.printJson({ path, value });
  ctx.print(String(value));
}

/**
 * `zk queue put PATH DATA...`, `zk queue get [--wait] PATH` and
 * `zk queue len PATH`. `get` prints the entry it took (nothing when the
 * queue is empty, unless `--wait`).
 *
 * @example
 * ```sh
 * zk queue put /jobs build-42 && zk queue get /jobs
 * ```
 */
export async function queue(ctx: CommandContext): Promise<void> {
  const [action, , ...values] = ctx.args.positionals;
  const path = ctx.path(1);
  const priority = ctx.number("priority");
  const check = (ok: boolean, usage: string) => {
    if (!ok) throw new UsageError(`queue: usage: zk queue ${usage}`, "queue");
  };
  const zk = await ctx.client();
  const entries = new Queue(zk, path);
  switch (action) {
    case "put": {
      check(values.length > 0, "put PATH DATA...");
      const names = await entries.putAll(values, { priority, signal: ctx.signal });
      if (ctx.json) ctx.printJson({ path, put: names });
      return;
    }
    case "get": {
      check(values.length === 0, "get [--wait] PATH");
      const data = ctx.flag("wait")
        ? await entries.take({ signal: ctx.signal })
        : await entries.get({ signal: ctx.signal });
      if (ctx.json) return ctx.printJson(data === null ? null : { path, ...encodeData(data) });
      if (data !== null) writeOut(data.at(-1) === 10 ? data : Uint8Array.of(...data, 10));
      return;
    }
    case "len": {
      check(values.length === 0, "len PATH");
      const length = await entries.length({ signal: ctx.signal });
      if (ctx.json) return ctx.printJson({ path, length });
      ctx.print(String(length));
      return;
    }
    default:
      throw new UsageError(`queue: unknown action "${action}" (put, get or len)`, "queue");
  }
}
