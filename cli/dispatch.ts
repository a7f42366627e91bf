/**
 * Runs one command line: finds the command, parses its flags, checks its
 * arguments, loads its code and turns whatever it throws into one line on
 * stderr and an exit code. The one-shot CLI and the shell both go through here.
 *
 * @module
 */

import { parseArgs, type ParsedArgs } from "./args.ts";
import { COMMANDS, type CommandSpec } from "./commands.ts";
import { CommandContext, type SessionState } from "./context.ts";
import type { Connection } from "./connection.ts";
import { describeError, EXIT_OK, exitCodeOf, UsageError } from "./errors.ts";
import { commandHelp } from "./help.ts";
import { writeErr, writeOut } from "./io.ts";
import { COMMON_FLAGS, CONNECTION_FLAGS } from "./options.ts";

/** Exit code of a command interrupted by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/**
 * The spec of command `name`, or a {@linkcode UsageError} naming it.
 *
 * @example
 * ```ts
 * import { findCommand } from "./dispatch.ts";
 * findCommand("ls").usage;
 * ```
 */
export function findCommand(name: string): CommandSpec {
  const spec = COMMANDS.get(name);
  if (!spec) throw new UsageError(`unknown command "${name}" (zk --help lists them)`);
  return spec;
}

/**
 * Parses the arguments of command `spec`; in the shell, connection options
 * are not accepted (they belong to `zk shell`'s own command line).
 *
 * @example
 * ```ts
 * import { findCommand, parseCommand } from "./dispatch.ts";
 * parseCommand(findCommand("ls"), ["-R", "/"], false);
 * ```
 */
export function parseCommand(
  spec: CommandSpec,
  args: readonly string[],
  interactive: boolean,
): ParsedArgs {
  const flags = [...(interactive ? [] : CONNECTION_FLAGS), ...COMMON_FLAGS, ...spec.flags];
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(args, flags);
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(`${spec.name}: ${error.message}`, spec.name);
    }
    throw error;
  }
  if (parsed.flags.help === true) return parsed;
  const [min, max] = spec.args;
  const count = parsed.positionals.length;
  if (count < min) {
    throw new UsageError(`${spec.name}: missing arguments (usage: zk ${spec.usage})`, spec.name);
  }
  if (count > max) {
    throw new UsageError(
      `${spec.name}: unexpected argument "${parsed.positionals[max]}" (usage: zk ${spec.usage})`,
      spec.name,
    );
  }
  if (spec.runsProgram && (parsed.rest === undefined || parsed.rest.length === 0)) {
    throw new UsageError(`${spec.name}: missing -- PROGRAM (usage: zk ${spec.usage})`, spec.name);
  }
  if (!spec.runsProgram && parsed.rest !== undefined) {
    parsed.positionals.push(...parsed.rest);
    if (parsed.positionals.length > max) {
      throw new UsageError(`${spec.name}: too many arguments (usage: zk ${spec.usage})`, spec.name);
    }
  }
  return parsed;
}

/**
 * Runs `spec` with `parsed` arguments; resolves with the exit code, having
 * printed the error (one line) if there was one.
 *
 * @example
 * ```ts
 * import { findCommand, parseCommand, runCommand } from "./dispatch.ts";
 * import { Connection } from "./connection.ts";
 * import { connectionSettings } from "./options.ts";
 * const spec = findCommand("ls");
 * await using connection = new Connection(connectionSettings({}));
 * const code = await runCommand(spec, parseCommand(spec, ["/"], false), connection, {
 *   cwd: "/",
 *   interactive: false,
 * }, new AbortController().signal);
 * ```
 */
export async function runCommand(
  spec: CommandSpec,
  parsed: ParsedArgs,
  connection: Connection,
  state: SessionState,
  signal: AbortSignal,
): Promise<number> {
  try {
    if (parsed.flags.help === true) {
      writeOut(commandHelp(spec));
      return EXIT_OK;
    }
    const run = await spec.load();
    const context = new CommandContext(spec.name, parsed, connection, state, signal);
    return (await run(context)) ?? EXIT_OK;
  } catch (error) {
    return report(error, signal);
  }
}

/**
 * Prints `error` as one line and returns its exit code; an error caused by
 * an interrupt is the interrupt's, and prints nothing.
 *
 * @example
 * ```ts
 * import { report } from "./dispatch.ts";
 * const code = report(new Error("boom"), new AbortController().signal); // 1
 * ```
 */
export function report(error: unknown, signal: AbortSignal): number {
  if (signal.aborted && (error === signal.reason || (error as Error)?.name === "AbortError")) {
    return EXIT_INTERRUPTED;
  }
  writeErr(describeError(error));
  return exitCodeOf(error);
}
