/**
 * Whose is this ephemeral node? The one answer every recipe uses when a
 * create of a name only it uses meets `NodeExistsError`.
 *
 * The node may be ours from the current session (a create whose reply was
 * lost), or ours from an older session: the client declares LOST on its own
 * clock and opens a new session while the server may still hold the old one
 * (a server restarted after a long outage restores its sessions, a
 * partition heals late). Such a node is not ours any more: it vanishes when
 * the server expires the old session, so adopting it makes a member, a
 * participant or a lock holder disappear later. It is deleted and created
 * again under the current session.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { BadVersionError, NodeExistsError, NoNodeError } from "../../lib/errors.ts";
import type { Stat } from "../../lib/types.ts";

/** The part of the client these checks read. */
type SessionOf = Pick<ZooKeeperClientCore, "sessionId">;

/** Whether an ephemeral node with this owner belongs to the client's current session. */
export function ownedByCurrentSession(zk: SessionOf, ephemeralOwner: bigint): boolean {
  return ephemeralOwner !== 0n && ephemeralOwner === zk.sessionId;
}

/**
 * Whether an ephemeral node with this owner, at a name only this client
 * uses, was made by an older session of ours (a persistent node, owner 0,
 * is never stale).
 */
export function ownedByOldSession(zk: SessionOf, ephemeralOwner: bigint): boolean {
  return ephemeralOwner !== 0n && ephemeralOwner !== zk.sessionId;
}

/** What {@linkcode inspectOwn} found at a path. */
export type OwnNode =
  /** Ours, from the current session. */
  | { readonly state: "current"; readonly stat: Stat; readonly data: Uint8Array }
  /** Not there (any more): an old session's node is deleted and reported so. */
  | { readonly state: "gone" }
  /** Someone else's: other data than ours, or a persistent node. */
  | { readonly state: "foreign"; readonly stat: Stat };

/** Options of {@linkcode inspectOwn}. */
export interface InspectOwnOptions {
  /**
   * The data our node holds, for names that others may use too (a
   * LockingQueue's `taken/<entry>`): a node with other data is someone
   * else's. Leave it out for names only we use (a uuid in the name).
   */
  data?: Uint8Array;
  /** Aborts the requests. */
  signal?: AbortSignal;
}

/**
 * Reads the ephemeral node at `path`, which a create of ours may have made,
 * and classifies it. One from an older session of ours is deleted (with its
 * version, so a node re-created meanwhile is left alone) and reported
 * `"gone"`, so that the caller can create it again under the current session.
 */
export async function inspectOwn(
  zk: ZooKeeperClientCore,
  path: string,
  options: InspectOwnOptions = {},
): Promise<OwnNode> {
  const { signal } = options;
  let found: { data: Uint8Array; stat: Stat };
  try {
    found = await zk.get(path, { signal });
  } catch (error) {
    if (error instanceof NoNodeError) return { state: "gone" };
    throw error;
  }
  const { data, stat } = found;
  if (stat.ephemeralOwner === 0n) return { state: "foreign", stat };
  if (options.data !== undefined && !sameBytes(data, options.data)) {
    return { state: "foreign", stat };
  }
  if (ownedByCurrentSession(zk, stat.ephemeralOwner)) return { state: "current", stat, data };
  try {
    await zk.delete(path, { version: stat.version, signal });
  } catch (error) {
    // Gone already, or changed: either way, look again.
    if (!(error instanceof NoNodeError || error instanceof BadVersionError)) throw error;
  }
  return { state: "gone" };
}

/**
 * Creates the ephemeral node `path` (a name only this recipe instance uses)
 * holding `data`, or makes sure the one there is ours: one of the current
 * session is adopted, one of an older session of ours is replaced. Resolves
 * with the node's stat. Not retried here: call it again after a transient
 * error (the retry adopts what the lost try made).
 *
 * @throws {NodeExistsError} when a persistent node sits at `path`.
 */
export async function createOwnEphemeral(
  zk: ZooKeeperClientCore,
  path: string,
  data: Uint8Array | string,
  signal?: AbortSignal,
): Promise<Stat> {
  while (true) {
    try {
      return (await zk.create(path, data, { ephemeral: true, includeStat: true, signal })).stat;
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
    const found = await inspectOwn(zk, path, { signal });
    if (found.state === "current") return found.stat;
    if (found.state === "foreign") {
      throw new NodeExistsError(`a node that is not ours sits at our name`, { path });
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
