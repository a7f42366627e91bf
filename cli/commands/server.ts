/**
 * The server and the session: four-letter words (`mntr` as a table), `acl`,
 * `whoami`, `config`, `reconfig` and `version`.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { aclToJson, lettersToPerms, table } from "../format.ts";
import { writeErr, writeOut } from "../io.ts";
import { clientOptions } from "../options.ts";
import { VERSION } from "../version.ts";
import type { ACL } from "../../lib/types.ts";

interface Answer {
  server: string;
  answer?: string;
  error?: string;
}

/** Asks every server of the connection string, without opening a session. */
async function askAll(ctx: CommandContext, word: string): Promise<Answer[]> {
  const [{ parseConnectionString }, { sendFourLetterWord }, { defaultTransport }] = await Promise
    .all([
      import("../../lib/session/hosts.ts"),
      import("../../lib/session/four_letter.ts"),
      import("../../lib/transport/mod.ts"),
    ]);
  const hosts = await ctx.connection.hosts(ctx.signal);
  const { hosts: servers } = parseConnectionString(hosts);
  const tls = clientOptions(ctx.connection.settings).tls;
  const transport = defaultTransport();
  const timeout = AbortSignal.timeout(ctx.connection.settings.timeout);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  return await Promise.all(servers.map(async ({ host, port }): Promise<Answer> => {
    const server = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    try {
      const answer = await sendFourLetterWord(transport, host, port, word, {
        tls: tls === true ? {} : tls,
        signal,
      });
      return { server, answer };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const message = timeout.aborted ? "no answer in time" : (error as Error).message;
      return { server, error: message };
    }
  }));
}

/** `mntr`'s `key<TAB>value` lines as an object (numbers as numbers). */
function parseMntr(answer: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const line of answer.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const value = line.slice(tab + 1).trim();
    out[line.slice(0, tab)] = value !== "" && Number.isFinite(Number(value))
      ? Number(value)
      : value;
  }
  return out;
}

/**
 * `zk WORD` and `zk 4lw WORD`: each server's answer (under a `== server`
 * header when there are several); `mntr` as an aligned table. Exits 1 if a
 * server did not answer.
 *
 * @example
 * ```sh
 * zk mntr --json
 * ```
 */
export async function fourLetterWord(ctx: CommandContext): Promise<number> {
  const word = ctx.command === "4lw" ? ctx.args.positionals[0] : ctx.command;
  if (!/^[a-z]{4}$/.test(word)) {
    throw new UsageError(`4lw: "${word}" is not a four-letter word (srvr, mntr, ruok...)`, "4lw");
  }
  const answers = await askAll(ctx, word);
  const failed = answers.some((a) => a.error !== undefined);
  if (ctx.json) {
    ctx.printJson(answers.map((a) => ({
      server: a.server,
      ...(a.error !== undefined
        ? { error: a.error }
        : { answer: word === "mntr" ? parseMntr(a.answer ?? "") : a.answer }),
    })));
    return failed ? 1 : 0;
  }
  for (const { server, answer, error } of answers) {
    if (answers.length > 1) ctx.print(`== ${server}`);
    if (error !== undefined) {
      writeErr(`ConnectionLoss: ${server} (${error})`);
      continue;
    }
    const text = word === "mntr"
      ? table(Object.entries(parseMntr(answer ?? "")).map(([k, v]) => [k, String(v)]))
      : answer ?? "";
    writeOut(text.endsWith("\n") || text === "" ? text : text + "\n");
  }
  return failed ? 1 : 0;
}

/** `scheme:id:perms`, the id itself possibly holding colons (`digest:user:hash`, IPv6). */
function parseAclEntry(text: string): ACL {
  const first = text.indexOf(":");
  const last = text.lastIndexOf(":");
  const perms = lettersToPerms(text.slice(last + 1));
  if (first <= 0 || first === last || perms === undefined) {
    throw new UsageError(`acl: "${text}" is not SCHEME:ID:PERMS (like world:anyone:cdrwa)`, "acl");
  }
  return { perms, id: { scheme: text.slice(0, first), id: text.slice(first + 1, last) } };
}

/**
 * `zk acl get PATH` and `zk acl set [-v VERSION] PATH SCHEME:ID:PERMS...`.
 *
 * @example
 * ```sh
 * zk acl set /app world:anyone:r auth::cdrwa
 * ```
 */
export async function acl(ctx: CommandContext): Promise<void> {
  const [action, , ...entries] = ctx.args.positionals;
  const path = ctx.path(1);
  if (action === "get") {
    if (entries.length > 0) throw new UsageError("acl: usage: zk acl get PATH", "acl");
    const zk = await ctx.client();
    const { acl } = await zk.getACL(path, { signal: ctx.signal });
    if (ctx.json) return ctx.printJson({ path, acl: aclToJson(acl) });
    for (const entry of aclToJson(acl)) ctx.print(`${entry.scheme}:${entry.id}:${entry.perms}`);
    return;
  }
  if (action !== "set") throw new UsageError(`acl: unknown action "${action}" (get or set)`, "acl");
  if (entries.length === 0) {
    throw new UsageError("acl: usage: zk acl set PATH SCHEME:ID:PERMS...", "acl");
  }
  const parsed = entries.map(parseAclEntry);
  const zk = await ctx.client();
  await zk.setACL(path, parsed, { version: ctx.number("version"), signal: ctx.signal });
  if (ctx.json) ctx.printJson({ path, acl: aclToJson(parsed) });
}

/**
 * `zk whoami`: the session's identities (`scheme: user`).
 *
 * @example
 * ```sh
 * zk --auth digest:ops:secret whoami
 * ```
 */
export async function whoami(ctx: CommandContext): Promise<void> {
  const zk = await ctx.client();
  const identities = await zk.whoAmI({ signal: ctx.signal });
  if (ctx.json) return ctx.printJson(identities);
  for (const { authScheme, user } of identities) ctx.print(`${authScheme}: ${user}`);
}

/**
 * `zk config`: the dynamic configuration (`/zookeeper/config`).
 *
 * @example
 * ```sh
 * zk config
 * ```
 */
export async function config(ctx: CommandContext): Promise<void> {
  const zk = await ctx.client();
  const { config } = await zk.getConfig({ signal: ctx.signal });
  if (ctx.json) return ctx.printJson(parseConfig(config));
  writeOut(config.endsWith("\n") || config === "" ? config : config + "\n");
}

function parseConfig(config: string): { members: string[]; version?: string } {
  const members: string[] = [];
  let version: string | undefined;
  for (const line of config.split("\n")) {
    if (line.startsWith("version=")) version = line.slice("version=".length);
    else if (line.trim() !== "") members.push(line);
  }
  return version === undefined ? { members } : { members, version };
}

/**
 * `zk reconfig --add SERVER... --remove ID... | --members SERVER...`: prints
 * the new configuration.
 *
 * @example
 * ```sh
 * zk --auth digest:super:secret reconfig --remove 3
 * ```
 */
export async function reconfig(ctx: CommandContext): Promise<void> {
  const list = (name: string) => ctx.args.flags[name] as string[] | undefined;
  const joining = list("add");
  const leaving = list("remove");
  const newMembers = list("members");
  if (!joining && !leaving && !newMembers) {
    throw new UsageError("reconfig: give --add, --remove or --members", "reconfig");
  }
  if (newMembers && (joining || leaving)) {
    throw new UsageError("reconfig: --members replaces all; not with --add/--remove", "reconfig");
  }
  const from = ctx.args.flags["from-config"];
  const zk = await ctx.client();
  const { config } = await zk.reconfig({
    joining,
    leaving,
    newMembers,
    fromConfig: from === undefined ? undefined : BigInt(from as number),
    signal: ctx.signal,
  });
  if (ctx.json) return ctx.printJson(parseConfig(config));
  writeOut(config.endsWith("\n") ? config : config + "\n");
}

/**
 * `zk version`: the CLI's version and each server's (from `srvr`).
 *
 * @example
 * ```sh
 * zk version --json
 * ```
 */
export async function version(ctx: CommandContext): Promise<number> {
  const answers = await askAll(ctx, "srvr");
  const servers = answers.map(({ server, answer, error }) => ({
    server,
    ...(error !== undefined
      ? { error }
      : { version: /version: ([0-9][^\s,-]*)/i.exec(answer ?? "")?.[1] ?? "unknown" }),
  }));
  const failed = servers.some((s) => "error" in s);
  if (ctx.json) {
    ctx.printJson({ client: VERSION, servers });
    return failed ? 1 : 0;
  }
  ctx.print(`zk (@zk/client) ${VERSION}`);
  for (const s of servers) {
    if ("error" in s) writeErr(`ConnectionLoss: ${s.server} (${s.error})`);
    else ctx.print(`${s.server}: ZooKeeper ${s.version}`);
  }
  return failed ? 1 : 0;
}
