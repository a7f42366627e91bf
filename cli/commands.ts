/**
 * Every command: its usage, flags, examples and where its code lives. The
 * code is imported only when the command runs, so `zk get` loads no recipe
 * runner, shell or backup code, and `zk --help` loads no client at all.
 *
 * @module
 */

import type { FlagSpec } from "./args.ts";
import type { CommandRun } from "./context.ts";

/** A command of the CLI. */
export interface CommandSpec {
  /** Its name (`ls`). */
  readonly name: string;
  /** Where help lists it. */
  readonly group: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Its synopsis, after `zk ` (`ls [-R] [-s] PATH`). */
  readonly usage: string;
  /** Fewest and most positional arguments (`Infinity` for any number). */
  readonly args: readonly [number, number];
  /** Its own flags. */
  readonly flags: readonly FlagSpec[];
  /** Example command lines, after `zk `. */
  readonly examples: readonly string[];
  /** Takes a program to run after `--`. */
  readonly runsProgram?: boolean;
  /** Works without a connection (`version` and the four-letter words connect themselves). */
  readonly offline?: boolean;
  /** Loads the implementation. */
  readonly load: () => Promise<CommandRun>;
}

const flag = (
  name: string,
  short: string | undefined,
  description: string,
): FlagSpec => ({ name, short, type: "boolean", description });
const numberFlag = (name: string, short: string | undefined, value: string, description: string) =>
  ({ name, short, type: "number", value, description }) as const;
const stringFlag = (name: string, short: string | undefined, value: string, description: string) =>
  ({ name, short, type: "string", value, description }) as const;

const VERSION_FLAG = numberFlag("version", "v", "N", "only if the node is still at version N");
const FILE_FLAG = stringFlag("file", "f", "FILE", "take the data from FILE (- for stdin)");
const ID_FLAG = stringFlag("id", undefined, "ID", "identifier shown to other contenders");
const GRACE_FLAG = numberFlag(
  "grace",
  undefined,
  "MS",
  "after SIGTERM, wait MS before SIGKILL (default 5000)",
);

const read = () => import("./commands/read.ts");
const write = () => import("./commands/write.ts");
const subtree = () => import("./commands/subtree.ts");
const watching = () => import("./commands/watch.ts");
const coordination = () => import("./commands/coordination.ts");
const server = () => import("./commands/server.ts");

/** The four-letter words that are commands of their own (`stat` and `dump` go through `4lw`). */
export const FOUR_LETTER_WORDS: readonly string[] = [
  "srvr",
  "mntr",
  "cons",
  "ruok",
  "envi",
  "conf",
  "wchc",
  "wchs",
  "wchp",
  "dirs",
  "isro",
  "crst",
  "srst",
];

const SPECS: CommandSpec[] = [
  {
    name: "ls",
    group: "browse",
    summary: "list a node's children",
    usage: "ls [-R] [-s] [PATH]",
    args: [0, 1],
    flags: [
      flag("recursive", "R", "list the whole subtree, as full paths"),
      flag("stat", "s", "also print the node's stat"),
    ],
    examples: ["ls /", "ls -R /app", "ls --json /app"],
    load: () => read().then((m) => m.ls),
  },
  {
    name: "get",
    group: "browse",
    summary: "print a node's data",
    usage: "get [-s] PATH",
    args: [1, 1],
    flags: [flag("stat", "s", "also print the stat")],
    examples: ["get /app/config", "get /app/config > config.txt", "get --json /app/config"],
    load: () => read().then((m) => m.get),
  },
  {
    name: "stat",
    group: "browse",
    summary: "print a node's metadata (the server's `stat` is `zk 4lw stat`)",
    usage: "stat PATH",
    args: [1, 1],
    flags: [],
    examples: ["stat /app", "stat --json /app"],
    load: () => read().then((m) => m.stat),
  },
  {
    name: "tree",
    group: "browse",
    summary: "draw a subtree",
    usage: "tree [--depth N] [PATH]",
    args: [0, 1],
    flags: [numberFlag("depth", "d", "N", "stop N levels below PATH")],
    examples: ["tree /app", "tree --depth 1 /", "tree --json /app"],
    load: () => read().then((m) => m.tree),
  },
  {
    name: "find",
    group: "browse",
    summary: "find nodes whose name (or path, when GLOB has a /) matches GLOB",
    usage: "find PATH GLOB",
    args: [2, 2],
    flags: [],
    examples: ['find / "lock-*"', 'find /app "**/config"'],
    load: () => read().then((m) => m.find),
  },
  {
    name: "grep",
    group: "browse",
    summary: "search the data of a subtree for a regular expression",
    usage: "grep [-i] PATH PATTERN",
    args: [2, 2],
    flags: [flag("ignore-case", "i", "ignore case")],
    examples: ['grep /app "postgres://"', "grep -i --json /app timeout"],
    load: () => read().then((m) => m.grep),
  },
  {
    name: "create",
    group: "write",
    summary: "create a node",
    usage: "create [-e] [-s] [-c] [--ttl MS] [-p] [-f FILE] PATH [DATA]",
    args: [1, 2],
    flags: [
      flag("ephemeral", "e", "delete it when this session ends"),
      flag("sequential", "s", "append a sequence number to the name"),
      flag("container", "c", "a container: the server deletes it when its last child goes"),
      numberFlag("ttl", undefined, "MS", "delete it after MS without changes or children"),
      flag("parents", "p", "create missing parents"),
      FILE_FLAG,
    ],
    examples: [
      "create /app/config 'color=blue'",
      "create -p /app/a/b/c",
      "create -s /jobs/job- payload",
      "create -f config.json /app/config",
    ],
    load: () => write().then((m) => m.create),
  },
  {
    name: "set",
    group: "write",
    summary: "replace a node's data",
    usage: "set [-v VERSION] [-f FILE] PATH [DATA]",
    args: [1, 2],
    flags: [VERSION_FLAG, FILE_FLAG],
    examples: ["set /app/config 'color=green'", "set -v 3 /app/config x", "set -f - /app/config"],
    load: () => write().then((m) => m.set),
  },
  {
    name: "rm",
    group: "write",
    summary: "delete nodes",
    usage: "rm [-r] [-v VERSION] PATH...",
    args: [1, Infinity],
    flags: [flag("recursive", "r", "delete the whole subtree"), VERSION_FLAG],
    examples: ["rm /app/config", "rm -r /app", "rm -v 4 /app/config"],
    load: () => write().then((m) => m.rm),
  },
  {
    name: "cp",
    group: "write",
    summary: "copy a subtree (data, ACLs, node types), also to another cluster",
    usage: "cp [--to HOSTS] [--overwrite] SRC DST",
    args: [2, 2],
    flags: [
      stringFlag("to", undefined, "HOSTS", "copy into this cluster instead"),
      flag("overwrite", undefined, "replace the data and ACL of nodes that exist"),
    ],
    examples: ["cp /app /app-backup", "cp --to zk2:2181 /app /app"],
    load: () => subtree().then((m) => m.cp),
  },
  {
    name: "mv",
    group: "write",
    summary: "move a subtree, atomically (one transaction)",
    usage: "mv SRC DST",
    args: [2, 2],
    flags: [],
    examples: ["mv /app/staging /app/live"],
    load: () => subtree().then((m) => m.mv),
  },
  {
    name: "dump",
    group: "backup",
    summary: "write a subtree as JSON (data, ACLs, node types)",
    usage: "dump [PATH]",
    args: [0, 1],
    flags: [],
    examples: ["dump /app > app.json", "diff <(zk dump /app) app.json"],
    load: () => subtree().then((m) => m.dump),
  },
  {
    name: "load",
    group: "backup",
    summary: "create a subtree from a dump (FILE or - for stdin)",
    usage: "load [--overwrite] FILE [PATH]",
    args: [1, 2],
    flags: [flag("overwrite", undefined, "replace the data and ACL of nodes that exist")],
    examples: ["load app.json /app", "load --overwrite app.json /app-restored"],
    load: () => subtree().then((m) => m.load),
  },
  {
    name: "watch",
    group: "watch",
    summary: "print a node's changes (or its subtree's with -r) until interrupted",
    usage: "watch [-r] PATH",
    args: [1, 1],
    flags: [flag("recursive", "r", "watch the whole subtree")],
    examples: ["watch /app/config", "watch -r --json /app"],
    load: () => watching().then((m) => m.watch),
  },
  {
    name: "wait",
    group: "watch",
    summary: "wait until a node exists (or is gone); --timeout bounds the whole wait",
    usage: "wait PATH --exists|--gone [--timeout MS]",
    args: [1, 1],
    flags: [
      flag("exists", undefined, "wait until it exists (the default)"),
      flag("gone", undefined, "wait until it is deleted"),
    ],
    examples: ["wait /app/ready --exists", "wait /app/lock --gone --timeout 30000"],
    load: () => watching().then((m) => m.wait),
  },
  {
    name: "lock",
    group: "coordination",
    summary: "run a program while holding a lock (kazoo-compatible)",
    usage: "lock [--id ID] [--wait MS] [--grace MS] PATH -- PROGRAM [ARGS...]",
    args: [1, 1],
    flags: [
      ID_FLAG,
      numberFlag("wait", undefined, "MS", "give up if the lock is not ours within MS"),
      GRACE_FLAG,
    ],
    examples: [
      "lock /locks/backup -- ./backup.sh --full",
      "lock --wait 5000 /locks/deploy -- make deploy",
    ],
    runsProgram: true,
    load: () => coordination().then((m) => m.lock),
  },
  {
    name: "elect",
    group: "coordination",
    summary: "run a program while leader (kazoo-compatible election)",
    usage: "elect [--id ID] [--grace MS] PATH -- PROGRAM [ARGS...]",
    args: [1, 1],
    flags: [ID_FLAG, GRACE_FLAG],
    examples: ["elect --id $(hostname) /election/scheduler -- ./scheduler"],
    runsProgram: true,
    load: () => coordination().then((m) => m.elect),
  },
  {
    name: "counter",
    group: "coordination",
    summary: "read a counter, or add to it (kazoo-compatible)",
    usage: "counter PATH [+N|-N]",
    args: [1, 2],
    flags: [flag("float", undefined, "a float counter (kazoo's default=0.0)")],
    examples: ["counter /stats/visits", "counter /stats/visits +1", "counter /stats/visits -5"],
    load: () => coordination().then((m) => m.counter),
  },
  {
    name: "queue",
    group: "coordination",
    summary: "put to, take from, or measure a queue (kazoo-compatible)",
    usage: "queue put PATH DATA... | queue get [--wait] PATH | queue len PATH",
    args: [2, Infinity],
    flags: [
      numberFlag("priority", undefined, "N", "put with priority N (0-999, lower first)"),
      flag("wait", undefined, "get: wait for an entry instead of returning nothing"),
    ],
    examples: ["queue put /jobs build-42", "queue get --wait /jobs", "queue len /jobs"],
    load: () => coordination().then((m) => m.queue),
  },
  {
    name: "acl",
    group: "server",
    summary: "read or replace a node's ACL",
    usage: "acl get PATH | acl set [-v VERSION] PATH SCHEME:ID:PERMS...",
    args: [2, Infinity],
    flags: [VERSION_FLAG],
    examples: [
      "acl get /app",
      "acl set /app world:anyone:r digest:ops:HASH=:cdrwa",
      "acl set /app auth::cdrwa",
    ],
    load: () => server().then((m) => m.acl),
  },
  {
    name: "whoami",
    group: "server",
    summary: "the identities the server gives this session",
    usage: "whoami",
    args: [0, 0],
    flags: [],
    examples: ["whoami", "--auth digest:ops:secret whoami"],
    load: () => server().then((m) => m.whoami),
  },
  {
    name: "config",
    group: "server",
    summary: "the ensemble's dynamic configuration",
    usage: "config",
    args: [0, 0],
    flags: [],
    examples: ["config", "config --json"],
    load: () => server().then((m) => m.config),
  },
  {
    name: "reconfig",
    group: "server",
    summary: "change the ensemble (needs reconfigEnabled and a super user)",
    usage: "reconfig [--add SERVER...] [--remove ID...] [--members SERVER...] [--from-config N]",
    args: [0, 0],
    flags: [
      {
        ...stringFlag("add", undefined, "SERVER", "server.N=host:quorum:election;client"),
        multiple: true,
      },
      { ...stringFlag("remove", undefined, "ID", "server id to remove"), multiple: true },
      {
        ...stringFlag("members", undefined, "SERVER", "the whole new member list"),
        multiple: true,
      },
      numberFlag("from-config", undefined, "N", "only if the config version is still N (hex ok)"),
    ],
    examples: ["reconfig --remove 3", "reconfig --add 'server.4=10.0.0.4:2888:3888;2181'"],
    load: () => server().then((m) => m.reconfig),
  },
  {
    name: "4lw",
    group: "server",
    summary: "send any four-letter word to every server (mntr as a table)",
    usage: "4lw WORD",
    args: [1, 1],
    flags: [],
    examples: ["4lw stat", "4lw mntr --json", "4lw ruok"],
    offline: true,
    load: () => server().then((m) => m.fourLetterWord),
  },
  ...FOUR_LETTER_WORDS.map((word): CommandSpec => ({
    name: word,
    group: "server",
    summary: `the servers' answer to "${word}"`,
    usage: word,
    args: [0, 0],
    flags: [],
    examples: [word, `${word} --json`],
    offline: true,
    load: () => server().then((m) => m.fourLetterWord),
  })),
  {
    name: "version",
    group: "server",
    summary: "the CLI's and the servers' versions",
    usage: "version",
    args: [0, 0],
    flags: [],
    examples: ["version", "version --json"],
    offline: true,
    load: () => server().then((m) => m.version),
  },
  {
    name: "shell",
    group: "shell",
    summary: "an interactive shell: cd, relative paths, history, tab completion",
    usage: "shell",
    args: [0, 0],
    flags: [],
    examples: ["shell", "--embedded shell", "shell < script.zk"],
    offline: true,
    load: () => import("./shell.ts").then((m) => m.shell),
  },
];

/**
 * The commands by name.
 *
 * @example
 * ```ts
 * import { COMMANDS } from "./commands.ts";
 * COMMANDS.get("ls")?.usage; // "ls [-R] [-s] [PATH]"
 * ```
 */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  SPECS.map((spec) => [spec.name, spec]),
);
