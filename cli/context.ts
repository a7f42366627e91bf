/**
 * What a command gets to work with: its parsed arguments, the shared
 * connection, the current directory (for the shell's relative paths), an
 * interrupt signal (Ctrl-C) and the output mode.
 *
 * @module
 */

import type { ZooKeeperClient } from "../lib/client.ts";
import type { ParsedArgs } from "./args.ts";
import type { Connection } from "./connection.ts";
import { UsageError } from "./errors.ts";
import { writeOut } from "./io.ts";
import { toJson } from "./format.ts";
import { resolvePath } from "./paths.ts";

/** The state a shell keeps between commands (a one-shot run has one command). */
export interface SessionState {
  /** The current directory, for relative paths (`/` outside the shell). */
  cwd: string;
  /** True in the interactive shell. */
  readonly interactive: boolean;
}

/**
 * One run of one command.
 *
 * @example
 * ```ts
 * import type { CommandContext } from "./context.ts";
 * async function hello(ctx: CommandContext): Promise<void> {
 *   const zk = await ctx.client();
 *   ctx.print(`connected to ${zk.connectedAddress}`);
 * }
 * ```
 */
export class CommandContext {
  /** The command's name. */
  readonly command: string;
  /** Its arguments. */
  readonly args: ParsedArgs;
  /** The connection. */
  readonly connection: Connection;
  /** Shell state shared between commands. */
  readonly state: SessionState;
  /** Aborts on Ctrl-C (or SIGTERM). */
  readonly signal: AbortSignal;

  /** Makes the context. */
  constructor(
    command: string,
    args: ParsedArgs,
    connection: Connection,
    state: SessionState,
    signal: AbortSignal,
  ) {
    this.command = command;
    this.args = args;
    this.connection = connection;
    this.state = state;
    this.signal = signal;
  }

  /** `--json` was given. */
  get json(): boolean {
    return this.args.flags.json === true;
  }

  /** The connected client. */
  client(): Promise<ZooKeeperClient> {
    return this.connection.client(this.signal);
  }

  /** Positional argument `index` resolved as a path (against the current directory). */
  path(index: number, fallback?: string): string {
    const raw = this.args.positionals[index] ?? fallback;
    if (raw === undefined) throw new UsageError(`${this.command} needs a PATH`, this.command);
    return resolvePath(this.state.cwd, raw);
  }

  /** A string flag. */
  string(name: string): string | undefined {
    return this.args.flags[name] as string | undefined;
  }

  /** A number flag. */
  number(name: string): number | undefined {
    return this.args.flags[name] as number | undefined;
  }

  /** A boolean flag. */
  flag(name: string): boolean {
    return this.args.flags[name] === true;
  }

  /** Writes a line of text. */
  print(line: string): void {
    writeOut(line.endsWith("\n") ? line : line + "\n");
  }

  /** Writes `value` as one line of JSON. */
  printJson(value: unknown): void {
    writeOut(toJson(value) + "\n");
  }
}

/** A command's implementation: returns its exit code (0 when it returns nothing). */
export type CommandRun = (ctx: CommandContext) => Promise<number | void>;
