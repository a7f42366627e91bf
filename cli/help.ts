/**
 * `--help`: the command list, and for each command its synopsis, flags and
 * examples.
 *
 * @module
 */

import type { FlagSpec } from "./args.ts";
import { COMMANDS, type CommandSpec } from "./commands.ts";
import { COMMON_FLAGS, CONNECTION_FLAGS } from "./options.ts";

function flagLines(flags: readonly FlagSpec[]): string[] {
  const cells = flags.map((f) => {
    const names = (f.short ? `-${f.short}, ` : "    ") + `--${f.name}` +
      (f.type === "boolean" ? "" : ` ${f.value ?? "VALUE"}`);
    return [names, f.description];
  });
  const width = Math.max(0, ...cells.map(([names]) => names.length));
  return cells.map(([names, description]) => `  ${names.padEnd(width)}  ${description}`);
}

/**
 * The help of the whole CLI.
 *
 * @example
 * ```ts
 * import { mainHelp } from "./help.ts";
 * console.log(mainHelp());
 * ```
 */
export function mainHelp(): string {
  const lines = [
    "zk: a command line for ZooKeeper",
    "",
    "usage: zk [OPTIONS] COMMAND [ARGS...]    (zk COMMAND --help for its examples)",
    "       zk shell                          (also plain `zk` on a terminal)",
    "",
  ];
  const groups = new Map<string, CommandSpec[]>();
  for (const spec of COMMANDS.values()) {
    const list = groups.get(spec.group) ?? [];
    list.push(spec);
    groups.set(spec.group, list);
  }
  for (const [group, specs] of groups) {
    lines.push(`${group}:`);
    const words = specs.filter((s) => s.summary.startsWith("the servers' answer"));
    for (const spec of specs) {
      if (words.includes(spec)) continue;
      lines.push(`  ${spec.name.padEnd(9)} ${spec.summary}`);
    }
    if (words.length > 0) {
      lines.push(`  ${words.map((s) => s.name).join(" ")}: four-letter words`);
    }
  }
  lines.push("", "connection options:", ...flagLines(CONNECTION_FLAGS));
  lines.push("", "every command takes:", ...flagLines(COMMON_FLAGS));
  lines.push(
    "",
    "exit codes: 0 success, 1 ZooKeeper or connection error, 2 bad usage",
    "",
    "examples:",
    "  zk --server zk1:2181,zk2:2181/app ls /",
    "  ZK_HOSTS=127.0.0.1:2181 zk get --json /config",
    "  zk lock /locks/backup -- ./backup.sh",
    "  zk --embedded shell",
  );
  return lines.join("\n") + "\n";
}

/**
 * The help of one command.
 *
 * @example
 * ```ts
 * import { COMMANDS } from "./commands.ts";
 * import { commandHelp } from "./help.ts";
 * console.log(commandHelp(COMMANDS.get("ls")!));
 * ```
 */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`usage: zk ${spec.usage}`, "", spec.summary];
  if (spec.flags.length > 0) lines.push("", "options:", ...flagLines(spec.flags));
  lines.push("", "examples:", ...spec.examples.map((e) => `  zk ${e}`));
  if (!spec.offline || spec.name === "shell") {
    lines.push("", "connection options (zk --help): --server HOSTS, --auth, --timeout MS, ...");
  }
  return lines.join("\n") + "\n";
}
