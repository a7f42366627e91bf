/**
 * Curator's `GroupMember`: membership of a group as an ephemeral node
 * `membershipPath/<id>` kept in place by a {@linkcode PersistentNode}, with
 * the member's payload as its data. Java services using Curator's
 * `GroupMember` on the same path are members of the same group.
 *
 * @module
 */

import type { ZooKeeperClient } from "../../lib/client.ts";
import { BadArgumentsError, NoNodeError } from "../../lib/errors.ts";
import { joinPath, validatePath } from "../../lib/paths.ts";
import type { CallOptions } from "../../lib/types.ts";
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
 * member.start();
 * await member.waitForInitialCreate();
 * const members = await member.getCurrentMembers(); // Map { "worker-1" => bytes, ... }
 * ```
 */
export class GroupMember implements AsyncDisposable {
  /** The group's node. */
  readonly membershipPath: string;
  /** This member's id (its node's name). */
  readonly id: string;
  readonly #zk: ZooKeeperClient;
  readonly #node: PersistentNode;

  /**
   * Makes the member; nothing is sent before {@linkcode GroupMember.start}.
   * `payload` is the member node's data (Curator defaults it to the local
   * address; here the caller gives it, empty by default).
   */
  constructor(
    zk: ZooKeeperClient,
    membershipPath: string,
    id: string,
    payload: Uint8Array | string = new Uint8Array(),
    options: GroupMemberOptions = {},
  ) {
    validatePath(membershipPath);
    if (id === "" || id.includes("/")) {
      throw new BadArgumentsError(`a group member id must be non-empty, without "/": ${id}`);
    }
    this.#zk = zk;
    this.membershipPath = membershipPath;
    this.id = id;
    this.#node = new PersistentNode(zk, joinPath(membershipPath, id), payload, {
      mode: PersistentNodeMode.EPHEMERAL,
      onError: options.onError,
    });
  }

  /** Starts creating the member node in the background. */
  start(): void {
    this.#node.start();
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
   * Every member's id and payload, read now, this member always included
   * (with its local payload if its node is not back yet), as Curator's
   * `getCurrentMembers`.
   */
  async getCurrentMembers(options: CallOptions = {}): Promise<Map<string, Uint8Array>> {
    let ids: string[];
    try {
      ids = await this.#zk.getChildren(this.membershipPath, options);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      ids = [];
    }
    const members = new Map<string, Uint8Array>();
    await Promise.all(
      ids.sort().map(async (id) => {
        try {
          const { data } = await this.#zk.get(joinPath(this.membershipPath, id), options);
          members.set(id, data);
        } catch (error) {
          if (!(error instanceof NoNodeError)) throw error; // left meanwhile
        }
      }),
    );
    if (!members.has(this.id)) members.set(this.id, this.#node.data);
    return new Map([...members].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
  }

  /** Leaves the group: the member node is deleted. Idempotent. */
  close(): Promise<void> {
    return this.#node.close();
  }

  /** The same as {@linkcode GroupMember.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
