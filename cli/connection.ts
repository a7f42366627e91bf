/**
 * The CLI's connection: opened on first use (so that `--help` and bad usage
 * cost no connection and no client code), shared by the commands of a shell,
 * closed once at the end. With `--embedded` it first starts a local server.
 *
 * @module
 */

import type { ZooKeeperClient } from "../lib/client.ts";
import { clientOptions, type ConnectionSettings } from "./options.ts";
import { writeErr } from "./io.ts";

/** A server started for `--embedded`. */
interface Embedded {
  hosts: string;
  stop(): Promise<void>;
}

/**
 * In a clone of the repository, tools/provision.ts sits next to the CLI:
 * run it (it installs ZooKeeper as root on Debian or Ubuntu) and say
 * whether it succeeded. A published CLI has no such file and never runs
 * apt-get itself: `undefined` when there is no tool to run.
 */
async function provisionFromRepository(): Promise<boolean | undefined> {
  const tool = new URL("../tools/provision.ts", import.meta.url);
  if (tool.protocol !== "file:" || typeof Deno !== "object") return undefined;
  try {
    Deno.statSync(tool);
  } catch {
    return undefined;
  }
  writeErr("ZooKeeper not found: running tools/provision.ts");
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", tool.pathname],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return success;
}

async function startEmbedded(signal: AbortSignal): Promise<Embedded> {
  const { ZooKeeperCluster } = await import("../lib/testing/mod.ts");
  const start = () => ZooKeeperCluster.start({ freePorts: true, signal, extendedTypes: true });
  let cluster;
  try {
    cluster = await start();
  } catch (error) {
    if ((error as Error).name !== "ConfigurationError") throw error;
    const provisioned = await provisionFromRepository();
    if (provisioned === undefined) {
      throw new EmbeddedError(`--embedded needs Java and ZooKeeper: ${(error as Error).message}`);
    }
    if (!provisioned) {
      throw new EmbeddedError("--embedded needs Java and ZooKeeper: tools/provision.ts failed");
    }
    cluster = await start();
  }
  const hosts = cluster.connectionString();
  writeErr(`embedded ZooKeeper serving at ${hosts}`);
  return { hosts, stop: () => cluster.stop() };
}

/** `--embedded` found no ZooKeeper to run: the environment's problem, not the usage's. */
export class EmbeddedError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "EmbeddedError";
  }
}

/**
 * A lazily opened client (and server, with `--embedded`), plus any extra
 * clients a command opened (`cp --to`), all closed by {@linkcode Connection.close}.
 *
 * @example
 * ```ts
 * import { Connection } from "./connection.ts";
 * import { connectionSettings } from "./options.ts";
 * await using connection = new Connection(connectionSettings({}));
 * const zk = await connection.client(AbortSignal.timeout(10_000));
 * ```
 */
export class Connection implements AsyncDisposable {
  readonly settings: ConnectionSettings;
  #embedded: Promise<Embedded> | undefined;
  #client: Promise<ZooKeeperClient> | undefined;
  readonly #extra: Promise<ZooKeeperClient>[] = [];

  /** Describes the connection; nothing happens until it is used. */
  constructor(settings: ConnectionSettings) {
    this.settings = settings;
  }

  /** The connection string: `--server`, or the embedded server's. */
  async hosts(signal?: AbortSignal): Promise<string> {
    if (!this.settings.embedded) return this.settings.server;
    this.#embedded ??= startEmbedded(signal ?? new AbortController().signal);
    return (await this.#embedded).hosts;
  }

  /** The client, connected on the first call. */
  client(signal?: AbortSignal): Promise<ZooKeeperClient> {
    this.#client ??= this.hosts(signal).then((hosts) => this.#connect(hosts, signal));
    // A failed connect is not cached: the shell may try again.
    this.#client.catch(() => (this.#client = undefined));
    return this.#client;
  }

  /** Another client with the same credentials, to `hosts` (closed with this one). */
  open(hosts: string, signal?: AbortSignal): Promise<ZooKeeperClient> {
    const client = this.#connect(hosts, signal);
    this.#extra.push(client);
    return client;
  }

  /** The client if one was opened, without opening one. */
  get opened(): Promise<ZooKeeperClient> | undefined {
    return this.#client;
  }

  async #connect(hosts: string, signal: AbortSignal | undefined): Promise<ZooKeeperClient> {
    const { connect } = await import("../lib/client.ts");
    return await connect(hosts, { ...clientOptions(this.settings), signal });
  }

  /** Closes the clients, then stops the embedded server. */
  async close(): Promise<void> {
    const clients = [this.#client, ...this.#extra].filter((c) => c !== undefined);
    this.#client = undefined;
    this.#extra.length = 0;
    await Promise.all(clients.map(async (client) => {
      try {
        await (await client).close();
      } catch {
        // It never connected: nothing to close.
      }
    }));
    const embedded = this.#embedded;
    this.#embedded = undefined;
    if (embedded) await (await embedded.catch(() => undefined))?.stop();
  }

  /** {@linkcode Connection.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
