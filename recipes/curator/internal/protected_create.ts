/**
 * Curator's "protected" ephemeral-sequential create, znode for znode:
 *
 * - the name is `_c_<uuid>-<name>` and the server appends the sequence:
 *   `_c_3b9737f1-0380-45b9-96a0-e97484ac344b-lock-0000000007`;
 * - the same uuid is kept across retries, and a retry first lists the parent
 *   for a child with our `_c_<uuid>-` prefix (the create may have happened
 *   before the connection dropped): ours from this session is adopted, one
 *   from an older session is deleted and the create sent again;
 * - missing parents are created as CONTAINER nodes, top-down, as Curator's
 *   `creatingParentContainersIfNeeded()` does, so the server collects an
 *   empty lock directory.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../../lib/core.ts";
import { NodeExistsError, NoNodeError } from "../../../lib/errors.ts";
import { dirname, joinPath } from "../../../lib/paths.ts";
import type { Stat } from "../../../lib/types.ts";
import type { ContenderNode } from "../../internal/contenders.ts";
import { isStale } from "../../internal/contenders.ts";
import { childrenOrEmpty, deleteRetried } from "../../internal/tolerant.ts";
import { deleteIfPresent } from "../../internal/tolerant.ts";

/** Curator's `ProtectedUtils.PROTECTED_PREFIX`. */
const PROTECTED_PREFIX = "_c_";

// ZooKeeper formats the counter with "%010d": ten digits, or a minus and
// nine once it wraps past 2^31 - 1.
const SEQUENCE = /(-\d{9}|\d{10})$/;

/** A new protected prefix, `_c_<uuid>-`, for one contender (the 40 characters Curator strips). */
export function protectedPrefix(): string {
  return `${PROTECTED_PREFIX}${crypto.randomUUID()}-`;
}

/**
 * Creates the missing ancestors of `path` (not `path` itself) as containers
 * with empty data, top-down; one that exists already, or appears meanwhile,
 * is fine.
 */
export async function ensureContainerParents(
  zk: ZooKeeperClientCore,
  path: string,
  signal?: AbortSignal,
): Promise<void> {
  const parents: string[] = [];
  for (let p = dirname(path); p !== "/"; p = dirname(p)) parents.unshift(p);
  for (const parent of parents) {
    if (await zk.exists(parent, { signal }) !== null) continue;
    try {
      await zk.create(parent, null, { container: true, signal });
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }
}

function toNode(path: string, stat: Stat): ContenderNode {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const match = SEQUENCE.exec(name);
  return {
    name,
    path,
    sequence: match ? Number(match[1]) : 0,
    session: stat.ephemeralOwner,
    czxid: stat.czxid,
    ephemeral: true,
  };
}

/**
 * One contender's protected ephemeral-sequential node `dir/_c_<uuid>-<name><seq>`.
 * Call {@linkcode CuratorProtectedCreate.create} again after a transient
 * failure: it adopts the node an earlier try made in this session.
 */
export class CuratorProtectedCreate {
  /** `_c_<uuid>-<name>`: our nodes' names start with it. */
  readonly prefix: string;
  readonly #zk: ZooKeeperClientCore;
  readonly #dir: string;
  readonly #data: Uint8Array;
  #tried = false;

  /** Prepares the create of `dir/_c_<uuid>-<name>` holding `data`; nothing is sent yet. */
  constructor(zk: ZooKeeperClientCore, dir: string, name: string, data: Uint8Array) {
    this.#zk = zk;
    this.#dir = dir;
    this.#data = data;
    this.prefix = protectedPrefix() + name;
  }

  /** Creates the node (and container parents), or adopts the one an earlier try made. */
  async create(signal?: AbortSignal): Promise<ContenderNode> {
    if (this.#tried) {
      const found = await this.#findOwn(signal);
      if (found) return found;
    }
    this.#tried = true;
    const path = joinPath(this.#dir, this.prefix);
    const send = () =>
      this.#zk.create(path, this.#data, {
        ephemeral: true,
        sequential: true,
        includeStat: true,
        signal,
      });
    try {
      const created = await send();
      return toNode(created.path, created.stat);
    } catch (error) {
      // Curator makes the parents only once the create says they are missing.
      if (!(error instanceof NoNodeError)) throw error;
      await ensureContainerParents(this.#zk, path, signal);
      const created = await send();
      return toNode(created.path, created.stat);
    }
  }

  async #findOwn(signal?: AbortSignal): Promise<ContenderNode | undefined> {
    const children = await childrenOrEmpty(this.#zk, this.#dir, signal);
    const name = children.find((child) => child.startsWith(this.prefix));
    if (name === undefined) return undefined;
    const path = joinPath(this.#dir, name);
    const stat = await this.#zk.exists(path, { signal });
    if (stat === null) return undefined;
    const node = toNode(path, stat);
    if (!isStale(this.#zk, node)) return node;
    // Made by the session before an expiry: it dies with that session, and
    // the queue must not keep a place for it meanwhile.
    await deleteIfPresent(this.#zk, path, signal);
    return undefined;
  }

  /**
   * Deletes our node if an attempt left one, retrying through connection
   * loss (Curator's `FindAndDeleteProtectedNodeInBackground`). Never rejects.
   */
  async cleanup(): Promise<void> {
    if (!this.#tried) return;
    try {
      const children = await this.#zk.retry(
        () => this.#zk.getChildren(this.#dir),
        { maxTries: -1 },
      );
      for (const name of children) {
        if (name.startsWith(this.prefix)) {
          await deleteRetried(this.#zk, joinPath(this.#dir, name), { ephemeral: true });
        }
      }
    } catch {
      // The directory is gone (NoNode), or the client closed: nothing is left.
    }
  }
}
