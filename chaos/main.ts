/**
 * `deno task chaos`: the chaos suite's command line.
 *
 * - `deno task chaos check FILE`: checks a register history (JSON Lines).
 * - `deno task chaos [--seconds N | --minutes N] [--members 3|5] [--seed S]`:
 *   starts an ensemble, runs workloads and a nemesis, checks, reports.
 * - `deno task chaos --hosts h1:2181,...`: the workloads only, against an
 *   existing ensemble.
 * - `deno task chaos --smoke`: the CI run (about 60 s, every checker).
 * - `deno task chaos recheck DIR`: the checkers and report again, on a run's folder.
 *
 * @module
 */

import { runCheckCommand } from "./check_command.ts";

if (import.meta.main) {
  const args = Deno.args;
  if (args[0] === "check") {
    Deno.exit(await runCheckCommand(args.slice(1)));
  }
  const { runChaosCommand, runRecheckCommand } = await import("./run_command.ts");
  if (args[0] === "recheck") Deno.exit(await runRecheckCommand(args.slice(1)));
  Deno.exit(await runChaosCommand(args));
}
