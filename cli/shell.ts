/**
 * `zk shell`: the commands of the CLI on one connection, with a current
 * directory (`cd`, `pwd`, relative paths), history (kept in
 * `~/.zk_history`), tab completion of commands and znode paths, and Ctrl-C
 * interrupting the running command rather than the shell. Without a
 * terminal it reads commands from standard input, one a line, and exits
 * with the status of the last one.
 *
 * @module
 */

import { appendFileSync, readFileSync } from "node:fs";
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import type { CommandContext, SessionState } from "./context.ts";
import { COMMANDS } from "./commands.ts";
import { findCommand, parseCommand, report, runCommand } from "./dispatch.ts";
import { UsageError } from "./errors.ts";
import { commandHelp, mainHelp } from "./help.ts";
import { env, isTerminal, writeErr, writeOut } from "./io.ts";
import { resolvePath } from "./paths.ts";
import { splitWords } from "./words.ts";

const BUILTINS = ["cd", "pwd", "help", "history", "exit", "quit"];
const HISTORY_SIZE = 1000;

function historyFile(): string | undefined {
  const home = env("HOME");
  return env("ZK_HISTORY") ?? (home ? `${home}/.zk_history` : undefined);
}

function loadHistory(file: string | undefined): string[] {
  if (!file) return [];
  try {
    // readline wants the newest first.
    return readFileSync(file, "utf8").split("\n").filter((l) => l !== "").reverse()
      .slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

/** What to offer for the word being typed: command names first, znode paths after. */
async function complete(
  ctx: CommandContext,
  state: SessionState,
  line: string,
): Promise<[string[], string]> {
  const words = line.split(/\s+/);
  const current = words.at(-1) ?? "";
  if (words.length <= 1) {
    const names = [...BUILTINS, ...COMMANDS.keys()].filter((n) => n.startsWith(current));
    return [names.sort().map((n) => n + " "), current];
  }
  if (current.startsWith("-")) return [[], current];
  const slash = current.lastIndexOf("/");
  const dirPart = slash < 0 ? "" : current.slice(0, slash + 1);
  const prefix = current.slice(slash + 1);
  let dir: string;
  try {
    dir = resolvePath(state.cwd, dirPart === "" ? "." : dirPart);
  } catch {
    return [[], current];
  }
  // Completion must not hang the prompt on a slow or absent server.
  const zk = await ctx.connection.opened?.catch(() => undefined) ??
    await ctx.connection.client(AbortSignal.timeout(2_000)).catch(() => undefined);
  if (!zk) return [[], current];
  try {
    const children = await zk.getChildren(dir, { signal: AbortSignal.timeout(2_000) });
    const matches = children.filter((c) => c.startsWith(prefix)).sort();
    return [matches.map((c) => dirPart + c), current];
  } catch {
    return [[], current];
  }
}

/** Runs a builtin; `undefined` when `name` is not one. */
function builtin(
  name: string,
  args: string[],
  state: SessionState,
  rl: Interface,
): number | "exit" | undefined {
  switch (name) {
    case "cd": {
      if (args.length > 1) throw new UsageError("cd: one PATH at most");
      state.cwd = resolvePath(state.cwd, args[0] ?? "/");
      return 0;
    }
    case "pwd":
      writeOut(state.cwd + "\n");
      return 0;
    case "help":
      writeOut(
        args[0] === undefined
          ? mainHelp() + "\nin the shell also: cd, pwd, history, exit\n"
          : commandHelp(findCommand(args[0])),
      );
      return 0;
    case "history": {
      const history = (rl as unknown as { history?: string[] }).history ?? [];
      writeOut(
        [...history].reverse().map((l, i) => `${String(i + 1).padStart(5)}  ${l}\n`).join(""),
      );
      return 0;
    }
    case "exit":
    case "quit":
      return "exit";
    default:
      return undefined;
  }
}

/**
 * `zk shell`: see the module documentation.
 *
 * @example
 * ```sh
 * printf 'cd /app\nls\nget config\n' | zk shell
 * ```
 */
export async function shell(ctx: CommandContext): Promise<number> {
  if (ctx.state.interactive) throw new UsageError("shell: already in the shell");
  const terminal = isTerminal(0) && isTerminal(1);
  const state: SessionState = { cwd: "/", interactive: true };
  const file = terminal ? historyFile() : undefined;
  const rl = createInterface(
    {
      input: process.stdin,
      output: terminal ? process.stdout : undefined,
      terminal,
      history: loadHistory(file),
      historySize: HISTORY_SIZE,
      completer: (line: string, callback: (error: null, result: [string[], string]) => void) => {
        complete(ctx, state, line).then((result) => callback(null, result));
      },
    } as Parameters<typeof createInterface>[0],
  );
  let running: AbortController | undefined;
  // With a terminal, readline turns Ctrl-C into this event instead of a signal.
  rl.on("SIGINT", () => {
    if (running) {
      running.abort(new DOMException("interrupted", "AbortError"));
      writeOut("^C\n");
    } else {
      writeOut("^C\n");
      rl.write(null, { ctrl: true, name: "u" });
      rl.prompt();
    }
  });
  // Without one, a SIGINT reaches the whole CLI: stop the command, then the shell.
  const onInterrupt = () => {
    running?.abort(ctx.signal.reason);
    rl.close();
  };
  ctx.signal.addEventListener("abort", onInterrupt, { once: true });
  const prompt = () => {
    if (!terminal) return;
    rl.setPrompt(`zk ${state.cwd}> `);
    rl.prompt();
  };
  if (terminal) writeErr("zk shell: `help` lists the commands, Tab completes, Ctrl-D leaves");
  let status = 0;
  prompt();
  try {
    for await (const line of rl) {
      if (file && line.trim() !== "") {
        try {
          appendFileSync(file, line + "\n");
        } catch {
          // A read-only home does not stop the shell.
        }
      }
      status = await execute(ctx, state, rl, line, (controller) => (running = controller));
      running = undefined;
      if (status === EXIT_SHELL) {
        status = 0;
        break;
      }
      if (ctx.signal.aborted) break;
      prompt();
    }
  } finally {
    ctx.signal.removeEventListener("abort", onInterrupt);
    rl.close();
  }
  if (terminal) writeOut("\n");
  return status;
}

const EXIT_SHELL = -1;

async function execute(
  ctx: CommandContext,
  state: SessionState,
  rl: Interface,
  line: string,
  track: (controller: AbortController) => void,
): Promise<number> {
  const controller = new AbortController();
  track(controller);
  const signal = controller.signal;
  try {
    const [name, ...args] = splitWords(line);
    if (name === undefined) return 0;
    const done = builtin(name, args, state, rl);
    if (done === "exit") return EXIT_SHELL;
    if (done !== undefined) return done;
    const spec = findCommand(name);
    if (spec.name === "shell") throw new UsageError("shell: already in the shell");
    return await runCommand(spec, parseCommand(spec, args, true), ctx.connection, state, signal);
  } catch (error) {
    return report(error, signal);
  }
}
