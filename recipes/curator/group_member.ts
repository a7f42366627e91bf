/**
 * Curator's `GroupMember`: membership of a group as an ephemeral node
 * `membershipPath/<id>` kept in place by a {@linkcode PersistentNode}, with
 * the member's payload as its data. Java services using Curator's
 * `GroupMember` on the same path are members of the same group.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { BadArgumentsError } from "../../lib/errors.ts";
import { joinPath, validatePath } from "../../lib/paths.ts";
import type { CallOptions } from "../../lib/types.ts";
import { ChildrenCache } from "./children_cache.ts";
import {
  PersistentNode,
  PersistentNodeMode,
  type WaitForInitialCreateOptions,
} from "./persistent_node.ts";

/** Options of {@linkcode GroupMember}. */
export interface GroupMemberOptions {
  /** Receives errors that stop the member node from being created (default `console.error`). */
  onError?: (error: unknown) => void;
}

/**
 * This process's membership of the group at `membershipPath`, under `id`.
 * The member node is plain EPHEMERAL (not protected) and comes back after a
 * session expiry or a deletion; a restarted member with the same id adopts
 * its predecessor's node, as in Curator.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { GroupMember } from "@zk/client/curator";
 * await using member = new GroupMember(zk, "/app/members", "worker-1", "10.0.0.5");
 * await member.start();
 * await member.waitForInitialCreate();
 * const members = member.getCurrentMembers(); // Map { "worker-1" => bytes, ... }
 * ```
 */
export class GroupMember implements AsyncDisposable {
  /** The group's node. */
  readonly membershipPath: string;
  /** This member's id (its node's name). */
  readonly id: string;
  readonly #node: PersistentNode;
  readonly #members: ChildrenCache<Uint8Array>;
  #closing: Promise<void> | undefined;

  /**
   * Makes the member; nothing is sent before {@linkcode GroupMember.start}.
   * `payload` is the member node's data (Curator defaults it to the local
   * address; here the caller gives it, empty by default).
   */
  constructor(
    zk: ZooKeeperClientCore,
    membershipPath: string,
    id: string,
    payload: Uint8Array | string = new Uint8Array(),
    options: GroupMemberOptions = {},
  ) {
    validatePath(membershipPath);
    if (id === "" || id.includes("/")) {
      throw new BadArgumentsError(`a group member id must be non-empty, without "/": ${id}`);
    }
    this.membershipPath = membershipPath;
    this.id = id;
    this.#node = new PersistentNode(zk, joinPath(membershipPath, id), payload, {
      mode: PersistentNodeMode.EPHEMERAL,
      onError: options.onError,
    });
    this.#members = new ChildrenCache(zk, membershipPath, {
      decode: (data) => data,
      onChange: () => {},
      onError: options.onError ?? ((error) => console.error(error)),
    });
  }

  /**
   * Starts creating the member node in the background, and the membership
   * view (Curator's CuratorCache: one persistent recursive watch on the
   * group); resolves once the view is loaded.
   */
  async start(options: CallOptions = {}): Promise<void> {
    this.#node.start();
    await this.#members.start(options.signal);
  }

  /** Resolves `true` once the member node exists (`false` after `timeout` ms). */
  waitForInitialCreate(options: WaitForInitialCreateOptions = {}): Promise<boolean> {
    return this.#node.waitForInitialCreate(options);
  }

  /** Sets this member's payload (Curator's `setThisData`), kept across re-creates. */
  setThisData(payload: Uint8Array | string, options: CallOptions = {}): Promise<void> {
    return this.#node.setData(payload, options);
  }

  /**
   * Every member's id and payload as the membership view has them, sorted by
   * id, this member always included (with its local payload if the view has
   * not caught up), as Curator's `getCurrentMembers`.
   */
  getCurrentMembers(): Map<string, Uint8Array> {
    const members = new Map(this.#members.entries);
    if (!members.has(this.id)) members.set(this.id, this.#node.data);
    return new Map([...members].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
  }

  /** Leaves the group: the member node is deleted and the view stopped. Idempotent. */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      await Promise.all([this.#node.close(), this.#members.close()]);
    })();
  }

  /** The same as {@linkcode GroupMember.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
