/**
 * The connection string and the host list built from it.
 *
 * @module
 */

import { ConfigurationError } from "../errors.ts";
import { validatePath } from "../paths.ts";

/** One `host:port` entry of a connection string. */
export interface HostAddress {
  /** A name or an IP literal (IPv6 without brackets). */
  host: string;
  /** TCP port (default 2181). */
  port: number;
  /** The name this address was resolved from (what TLS verifies); `host` when not resolved. */
  name?: string;
}

/** A parsed connection string. */
export interface ConnectionString {
  /** The hosts, in the order given. */
  hosts: HostAddress[];
  /** The chroot suffix, `""` when there is none. */
  chroot: string;
}

/** ZooKeeper's default client port. */
export const DEFAULT_PORT = 2181;

/**
 * Parses `"h1:2181,h2,[::1]:2182/app"`: a comma list of hosts (IPv6 in
 * brackets, port 2181 when left out) and an optional chroot suffix.
 *
 * @example
 * ```ts
 * import { parseConnectionString } from "@zk/client";
 * parseConnectionString("a:1,[::1]/app"); // {hosts: [{host:"a",port:1},{host:"::1",port:2181}], chroot:"/app"}
 * ```
 */
export function parseConnectionString(value: string): ConnectionString {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigurationError("the connection string is empty");
  }
  let list = value.trim();
  let chroot = "";
  // The chroot starts at the first "/" (a bracketed IPv6 host has none).
  const slash = list.indexOf("/");
  if (slash >= 0) {
    chroot = list.slice(slash);
    list = list.slice(0, slash);
    if (chroot === "/") chroot = "";
    else {
      try {
        validatePath(chroot);
      } catch (error) {
        throw new ConfigurationError(`invalid chroot "${chroot}"`, { cause: error });
      }
    }
  }
  const hosts: HostAddress[] = [];
  for (const raw of list.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    hosts.push(parseHost(entry));
  }
  if (hosts.length === 0) throw new ConfigurationError(`no host in "${value}"`);
  return { hosts, chroot };
}

function parseHost(entry: string): HostAddress {
  let host: string;
  let portText: string | undefined;
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) throw new ConfigurationError(`unclosed "[" in host "${entry}"`);
    host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) throw new ConfigurationError(`bad host "${entry}"`);
      portText = rest.slice(1);
    }
  } else {
    const colon = entry.lastIndexOf(":");
    if (colon >= 0 && entry.indexOf(":") !== colon) {
      // An unbracketed IPv6 literal: no port.
      host = entry;
    } else if (colon >= 0) {
      host = entry.slice(0, colon);
      portText = entry.slice(colon + 1);
    } else host = entry;
  }
  if (host === "") throw new ConfigurationError(`empty host name in "${entry}"`);
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new ConfigurationError(`bad port in host "${entry}"`);
    }
  }
  return { host, port };
}

/**
 * The round-robin host list a session walks through: names are resolved to
 * all their addresses when the list is (re)built, the list is shuffled
 * unless told otherwise, and each full unsuccessful pass is reported so the
 * caller can back off.
 */
export class HostList {
  #configured: HostAddress[];
  readonly #randomize: boolean;
  readonly #resolve: ((host: string) => Promise<string[]>) | undefined;
  #addresses: HostAddress[] = [];
  #index = -1;

  /** `resolve` turns a name into its addresses; without it names are used as given. */
  constructor(
    hosts: HostAddress[],
    options: { randomize?: boolean; resolve?: (host: string) => Promise<string[]> } = {},
  ) {
    this.#configured = hosts;
    this.#randomize = options.randomize ?? true;
    this.#resolve = options.resolve;
  }

  /** The hosts as configured (names unresolved). */
  get configured(): readonly HostAddress[] {
    return this.#configured;
  }

  /** How many addresses the list currently holds (at least the configured count once resolved). */
  get size(): number {
    return Math.max(this.#addresses.length, this.#configured.length);
  }

  /**
   * The next address to try, and whether the list wrapped around (a full
   * pass failed). Re-resolves names at the start of every pass. A new pass
   * never starts with `avoid`, the address that just failed, when there is
   * another: trying a dead server twice in a row costs a connect timeout.
   */
  async next(avoid?: HostAddress): Promise<{ address: HostAddress; wrapped: boolean }> {
    let wrapped = false;
    if (this.#addresses.length === 0 || this.#index + 1 >= this.#addresses.length) {
      wrapped = this.#addresses.length > 0;
      await this.#rebuild();
      this.#index = -1;
      const list = this.#addresses;
      if (avoid !== undefined && list.length > 1 && sameAddress(list[0], avoid)) {
        list.push(list.shift()!);
      }
    }
    this.#index++;
    return { address: this.#addresses[this.#index], wrapped };
  }

  /**
   * Replaces the configured hosts (the next attempt walks the new list) and
   * decides whether the connection to `current` should move, so that load
   * spreads evenly over the new ensemble (ZooKeeper's client rebalancing,
   * ZOOKEEPER-1355):
   *
   * - `current` is not in the new list: always move, to a server that was
   *   in the old list with probability
   *   `old·(M−N) / (N·(M−old))` (M, N: old and new list sizes), else to an
   *   added one;
   * - the list grew and `current` is in it: move to an added server with
   *   probability `1 − M/N`, else stay;
   * - the list shrank or kept its size and `current` is in it: stay.
   *
   * Returns the address to move to, or `undefined` to stay (also when there
   * is no `current` connection). `random` is for tests.
   */
  update(
    hosts: readonly HostAddress[],
    current: HostAddress | undefined,
    random: () => number = Math.random,
  ): HostAddress | undefined {
    if (hosts.length === 0) throw new ConfigurationError("the new host list is empty");
    const before = new Set(this.#configured.map(hostKey));
    const m = this.#configured.length;
    const n = hosts.length;
    this.#configured = hosts.map(({ host, port }) => ({ host, port }));
    this.#addresses = [];
    this.#index = -1;
    if (current === undefined) return undefined;

    const kept = this.#configured.filter((h) => before.has(hostKey(h)));
    const added = this.#configured.filter((h) => !before.has(hostKey(h)));
    const currentKeys = new Set([
      hostKey(current),
      hostKey({ host: current.name ?? "", port: current.port }),
    ]);
    const stays = this.#configured.some((h) => currentKeys.has(hostKey(h)));
    let toAdded: boolean;
    if (n > m) {
      if (stays && random() >= 1 - m / n) return undefined;
      toAdded = true;
    } else {
      if (stays) return undefined;
      const pKept = m === kept.length ? 1 : (kept.length * (m - n)) / (n * (m - kept.length));
      toAdded = random() >= pKept;
    }
    const pool = (toAdded && added.length > 0) || kept.length === 0 ? added : kept;
    const target = pool[Math.floor(random() * pool.length)] ?? pool[0];
    return { host: target.host, port: target.port, name: target.host };
  }

  /**
   * Every configured host resolved to all its addresses, each keeping the
   * name it came from. A name that does not resolve right now is left out,
   * or kept as it is with `keepUnresolved`.
   */
  async resolveAll(keepUnresolved: boolean): Promise<HostAddress[]> {
    const out: HostAddress[] = [];
    for (const { host, port } of this.#configured) {
      let addresses: string[] = [host];
      if (this.#resolve) {
        try {
          addresses = await this.#resolve(host);
        } catch {
          if (!keepUnresolved) addresses = [];
        }
      }
      for (const address of addresses) out.push({ host: address, port, name: host });
    }
    return out;
  }

  async #rebuild(): Promise<void> {
    // Unresolvable names are skipped so the pass tries the others.
    const out = await this.resolveAll(false);
    if (out.length === 0) out.push(...this.#configured);
    if (this.#randomize) shuffle(out);
    this.#addresses = out;
  }
}

function sameAddress(a: HostAddress, b: HostAddress): boolean {
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

function hostKey({ host, port }: { host: string; port: number }): string {
  return `${host.toLowerCase()}:${port}`;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
