/**
 * Expires a live client's session on the server, for real.
 *
 * @module
 */

import { ConfigurationError, ConnectionLossError } from "../errors.ts";
import type { ZooKeeperCluster } from "./cluster.ts";
import { closeSessionById } from "./raw_session.ts";
import { sleep } from "../abort.ts";
import { deadline } from "./util.ts";

/**
 * What {@linkcode expireSession} needs from a client: its session's id and
 * password, and state notifications (`"LOST"` when it sees the expiry).
 * `ZooKeeperClient` fits; so does a hand-made stand-in.
 */
export interface ExpirableClient {
  /** The id of the session to expire. */
  readonly sessionId: bigint;
  /** Its password. */
  readonly sessionPassword: Uint8Array;
  /** Registers a state listener (called with `"CONNECTED"`, `"SUSPENDED"`, `"LOST"`). */
  addListener(listener: (state: string) => void): void;
  /** Removes a listener added with `addListener`. */
  removeListener(listener: (state: string) => void): void;
  /** The `host:port` the client is connected to, when it knows. */
  readonly connectedAddress?: string;
}

/** Options of {@linkcode expireSession}. */
export interface ExpireSessionOptions {
  /**
   * The server to close the session through (`"host:port"` or `{host, port}`,
   * plain TCP). Any member of the ensemble will do. Default: the first
   * running member of `cluster`, else the client's `connectedAddress`.
   */
  address?: string | { host: string; port: number };
  /** A cluster to pick a member from when `address` is not given. */
  cluster?: ZooKeeperCluster;
  /** Milliseconds to wait for the client to report `"LOST"` (default 30000). */
  timeout?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
}

/**
 * Expires `client`'s session on the server (the Curator/`KillSession` way, not
 * a client-side fake): a second connection re-attaches the session with its
 * id and password, which makes the server drop the client's connection, and
 * closes it in the same breath, so its ephemeral nodes and watches are gone.
 * Resolves once the client has reported `"LOST"`, i.e. after it reconnected
 * and was told the session expired.
 *
 * @example
 * ```ts
 * import { connect } from "@zk/client";
 * import { expireSession, ZooKeeperCluster } from "@zk/client/testing";
 * await using cluster = await ZooKeeperCluster.start();
 * await using zk = await connect(cluster.connectionString());
 * await zk.create("/mine", "x", { ephemeral: true });
 * await expireSession(zk, { cluster });
 * // zk has a new session now; /mine is gone
 * ```
 */
export async function expireSession(
  client: ExpirableClient,
  options: ExpireSessionOptions = {},
): Promise<void> {
  const address = options.address ?? pickMember(options.cluster, 0) ?? client.connectedAddress;
  if (address === undefined) {
    throw new ConfigurationError(
      "expireSession needs an address or a cluster when the client does not tell its connectedAddress",
    );
  }
  const timeout = options.timeout ?? 30_000;
  const limit = deadline(
    timeout,
    `expiring session 0x${client.sessionId.toString(16)}`,
    options.signal,
  );
  let listener: ((state: string) => void) | undefined;
  const lost = new Promise<void>((resolve, reject) => {
    listener = (state) => {
      if (state === "LOST") resolve();
    };
    limit.signal.addEventListener("abort", () => reject(limit.signal.reason), { once: true });
  });
  lost.catch(() => {});
  client.addListener(listener!);
  try {
    // The client may win a reconnect race and take the session back before
    // the close is processed, which drops our connection; or the ensemble is
    // still electing a leader after a fault and refuses sessions. Either way:
    // back off and try again (through another member when we have a cluster),
    // until the deadline.
    for (let attempt = 0;; attempt++) {
      const target = options.address ?? pickMember(options.cluster, attempt) ?? address;
      try {
        await closeSessionById(target, client.sessionId, client.sessionPassword, {
          signal: limit.signal,
        });
        break;
      } catch (error) {
        if (!(error instanceof ConnectionLossError) || limit.signal.aborted) throw error;
      }
      await sleep(Math.min(50 * 2 ** attempt, 1_000), limit.signal);
    }
    await lost;
  } finally {
    client.removeListener(listener!);
    limit.clear();
  }
}

/** The `attempt`-th running, unpaused member of `cluster`, round robin. */
function pickMember(cluster: ZooKeeperCluster | undefined, attempt: number): string | undefined {
  const live = cluster?.members.filter((m) => m.running && !m.paused) ?? [];
  return live.length === 0 ? undefined : live[attempt % live.length].address;
}
