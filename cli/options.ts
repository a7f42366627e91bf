/**
 * The options every command shares: where and how to connect (`--server`,
 * `--auth`, `--sasl`, TLS files, `--read-only`, `--session-timeout`,
 * `--timeout`, `--embedded`) and how to answer (`--json`, `--help`).
 *
 * @module
 */

import type { FlagSpec, FlagValue } from "./args.ts";
import { UsageError } from "./errors.ts";
import { env, readFileBytes } from "./io.ts";
import type { ZooKeeperClientOptions } from "../lib/client.ts";

/** Flags that say where and how to connect; they go before or after the command. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  {
    name: "server",
    type: "string",
    value: "HOSTS",
    description: "connection string, chroot allowed (default $ZK_HOSTS, else 127.0.0.1:2181)",
  },
  {
    name: "auth",
    type: "string",
    multiple: true,
    value: "SCHEME:CRED",
    description: "add a credential, e.g. digest:user:pass (repeatable)",
  },
  { name: "sasl", type: "string", value: "USER:PASS", description: "SASL DIGEST-MD5 login" },
  { name: "tls-ca", type: "string", value: "FILE", description: "connect with TLS, trusting FILE" },
  { name: "tls-cert", type: "string", value: "FILE", description: "client certificate (PEM)" },
  { name: "tls-key", type: "string", value: "FILE", description: "client key (PEM)" },
  { name: "read-only", type: "boolean", description: "accept a read-only server" },
  { name: "session-timeout", type: "number", value: "MS", description: "session timeout" },
  {
    name: "timeout",
    type: "number",
    value: "MS",
    description: "give up connecting after MS (default 10000)",
  },
  {
    name: "embedded",
    type: "boolean",
    description: "start a local ZooKeeper server for this run (needs Java and ZooKeeper)",
  },
];

/** Flags every command takes. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: "json", type: "boolean", description: "machine-readable output" },
  { name: "help", short: "h", type: "boolean", description: "show help with examples" },
];

/** The connection settings of a run. */
export interface ConnectionSettings {
  /** The connection string. */
  server: string;
  /** `scheme:credential` pairs to add. */
  auth: string[];
  /** `user:password` for SASL. */
  sasl?: string;
  /** PEM files for TLS. */
  tlsCa?: string;
  /** Client certificate file. */
  tlsCert?: string;
  /** Client key file. */
  tlsKey?: string;
  /** Accept read-only servers. */
  readOnly: boolean;
  /** Requested session timeout, ms. */
  sessionTimeout?: number;
  /** How long to try to connect, ms. */
  timeout: number;
  /** Start a local server. */
  embedded: boolean;
}

/** The default of `--timeout`. */
export const DEFAULT_TIMEOUT = 10_000;

function positive(flag: string, value: FlagValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0)) {
    throw new UsageError(`--${flag} must be a positive number of milliseconds`);
  }
  return value;
}

/**
 * The {@linkcode ConnectionSettings} that parsed `flags` ask for.
 *
 * @example
 * ```ts
 * import { connectionSettings } from "./options.ts";
 * connectionSettings({ server: "127.0.0.1:2181/app" }).server; // "127.0.0.1:2181/app"
 * ```
 */
export function connectionSettings(
  flags: Record<string, FlagValue | undefined>,
): ConnectionSettings {
  return {
    server: (flags.server as string | undefined) ?? env("ZK_HOSTS") ?? "127.0.0.1:2181",
    auth: (flags.auth as string[] | undefined) ?? [],
    sasl: flags.sasl as string | undefined,
    tlsCa: flags["tls-ca"] as string | undefined,
    tlsCert: flags["tls-cert"] as string | undefined,
    tlsKey: flags["tls-key"] as string | undefined,
    readOnly: flags["read-only"] === true,
    sessionTimeout: positive("session-timeout", flags["session-timeout"]),
    timeout: positive("timeout", flags.timeout) ?? DEFAULT_TIMEOUT,
    embedded: flags.embedded === true,
  };
}

function readPem(flag: string, file: string): string {
  try {
    return new TextDecoder().decode(readFileBytes(file));
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${file} (${(error as Error).message})`);
  }
}

function splitOnce(text: string, flag: string, what: string): [string, string] {
  const i = text.indexOf(":");
  if (i <= 0) throw new UsageError(`--${flag} takes ${what}, not "${text}"`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/**
 * The client options (everything but the hosts) of `settings`: credentials,
 * TLS material read from its files, timeouts.
 *
 * @example
 * ```ts
 * import { clientOptions, connectionSettings } from "./options.ts";
 * clientOptions(connectionSettings({ auth: ["digest:ops:secret"] })).auth;
 * ```
 */
export function clientOptions(
  settings: ConnectionSettings,
): Omit<ZooKeeperClientOptions, "hosts"> {
  const options: Omit<ZooKeeperClientOptions, "hosts"> = {
    startTimeout: settings.timeout,
    readOnly: settings.readOnly,
  };
  if (settings.sessionTimeout !== undefined) options.sessionTimeout = settings.sessionTimeout;
  if (settings.auth.length > 0) {
    options.auth = settings.auth.map((entry) => {
      const [scheme, credential] = splitOnce(entry, "auth", "SCHEME:CREDENTIAL");
      return { scheme, credential };
    });
  }
  if (settings.sasl !== undefined) {
    const [username, password] = splitOnce(settings.sasl, "sasl", "USER:PASSWORD");
    options.sasl = { mechanism: "DIGEST-MD5", username, password };
  }
  if (settings.tlsCa || settings.tlsCert || settings.tlsKey) {
    if (!settings.tlsCert !== !settings.tlsKey) {
      throw new UsageError("--tls-cert and --tls-key go together");
    }
    options.tls = {
      caCerts: settings.tlsCa ? [readPem("tls-ca", settings.tlsCa)] : undefined,
      cert: settings.tlsCert ? readPem("tls-cert", settings.tlsCert) : undefined,
      key: settings.tlsKey ? readPem("tls-key", settings.tlsKey) : undefined,
    };
  }
  return options;
}
