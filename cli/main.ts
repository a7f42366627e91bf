/**
 * `zk`, a command line for ZooKeeper: browse, edit, back up and watch
 * znodes, run programs under a lock or while leader, query servers, or open
 * an interactive shell.
 *
 * ```sh
 * deno run -A jsr:@zk/client/cli --server 127.0.0.1:2181 ls /
 * deno task zk lock /locks/backup -- ./backup.sh
 * ```
 *
 * Exit codes: 0 for success, 1 for a ZooKeeper or connection error, 2 for
 * bad usage. `zk COMMAND --help` shows each command's examples.
 *
 * @module
 */

import { parseArgs } from "./args.ts";
import { Connection } from "./connection.ts";
import { UsageError } from "./errors.ts";
import { findCommand, parseCommand, report, runCommand } from "./dispatch.ts";
import { mainHelp } from "./help.ts";
import { exit, isTerminal, onInterrupt, programArgs, writeOut } from "./io.ts";
import { COMMON_FLAGS, CONNECTION_FLAGS, connectionSettings } from "./options.ts";

/**
 * Runs the CLI with `args` (what follows `zk` on the command line) and
 * resolves with its exit code. Ctrl-C (SIGINT) and SIGTERM interrupt the
 * command; a second one exits at once.
 *
 * @example
 * ```ts
 * import { main } from "@zk/client/cli";
 * const code = await main(["--server", "127.0.0.1:2181", "ls", "/"]);
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  const interrupt = new AbortController();
  const stopListening = onInterrupt((signal) => {
    if (interrupt.signal.aborted) exit(130);
    interrupt.abort(new DOMException(`interrupted by ${signal}`, "AbortError"));
  });
  let connection: Connection | undefined;
  try {
    const head = parseArgs(args, [...CONNECTION_FLAGS, ...COMMON_FLAGS], {
      stopAtPositional: true,
    });
    let [name, ...rest] = head.positionals;
    if (name === undefined) {
      if (head.flags.help === true) {
        writeOut(mainHelp());
        return 0;
      }
      if (!isTerminal(0)) throw new UsageError("missing COMMAND (zk --help lists them)");
      name = "shell";
    }
    const spec = findCommand(name);
    const parsed = parseCommand(spec, rest, false);
    const flags = { ...head.flags, ...parsed.flags };
    connection = new Connection(connectionSettings(flags));
    return await runCommand(
      spec,
      { ...parsed, flags },
      connection,
      { cwd: "/", interactive: false },
      interrupt.signal,
    );
  } catch (error) {
    return report(error, interrupt.signal);
  } finally {
    try {
      await connection?.close();
    } catch (error) {
      report(error, interrupt.signal);
    }
    stopListening();
  }
}

if (import.meta.main) exit(await main(programArgs()));
