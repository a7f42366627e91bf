/**
 * Group membership, kazoo's `Party` and `ShallowParty` on the same znodes:
 *
 * - {@linkcode Party}: each member is an ephemeral `{path}/{uuid4hex}__party__`
 *   node holding its identifier, so listing the members reads every node;
 * - {@linkcode ShallowParty}: each member is an ephemeral
 *   `{path}/{uuid4hex}-{identifier}` node, so one `getChildren` lists them
 *   (the identifier must be a valid node name).
 *
 * A member stays a member across connection trouble: its node survives a
 * reconnect with the same session, and after a session expiry (which removes
 * it) the party joins again by itself until {@linkcode Party.leave} is called.
 * kazoo leaves re-joining to the user.
 *
 * @module
 */

import { deleteRetried, readTexts } from "./internal/tolerant.ts";
import { forgetWatcher, Wakeup } from "./internal/wakeup.ts";
import { createOwnEphemeral } from "./internal/owned.ts";
import type { ZooKeeperClientCore } from "../lib/core.ts";
import {
  BadArgumentsError,
  ClientClosedError,
  NoNodeError,
  SessionExpiredError,
} from "../lib/errors.ts";
import { joinPath } from "../lib/paths.ts";
import type { CallOptions, State, Watcher } from "../lib/types.ts";

const PARTY_MARKER = "__party__";

/**
 * What {@linkcode Party} and {@linkcode ShallowParty} share: joining,
 * leaving, re-joining after a session expiry, and watching the membership.
 *
 * @example
 * ```ts
 * import { type BaseParty, Party, ShallowParty, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const parties: BaseParty[] = [new Party(zk, "/a", "me"), new ShallowParty(zk, "/b", "me")];
 * for (const party of parties) await party.join();
 * ```
 */
export abstract class BaseParty implements AsyncIterable<string>, AsyncDisposable {
  /** The party's node; members are its children. */
  readonly path: string;
  /** This member's identifier. */
  readonly identifier: string;
  /** This member's node name. */
  abstract readonly node: string;
  /** The client. */
  protected readonly zk: ZooKeeperClientCore;
  #participating = false;
  #ensured = false;
  #rejoining: Promise<void> | undefined;
  #listening = false;
  readonly #onState = (state: State): void => {
    // An expiry took our node along; a new session needs it back.
    if (state === "CONNECTED" && this.#participating && this.#rejoining === undefined) {
      this.#rejoining = this.#rejoin().finally(() => this.#rejoining = undefined);
    }
  };

  /** Sets the fields; subclasses name the node. */
  constructor(zk: ZooKeeperClientCore, path: string, identifier: string) {
    this.zk = zk;
    this.path = path;
    this.identifier = identifier;
  }

  /** The full path of this member's node. */
  get memberPath(): string {
    return joinPath(this.path, this.node);
  }

  /** True between {@linkcode BaseParty.join} and {@linkcode BaseParty.leave}. */
  get participating(): boolean {
    return this.#participating;
  }

  /** Picks this party's member nodes out of `children`. */
  protected abstract isMember(child: string): boolean;

  /** The identifiers of `children` (member nodes only). */
  protected abstract identifiers(children: string[], signal?: AbortSignal): Promise<string[]>;

  /**
   * Joins the party (creates our node and any missing parents). Joining twice
   * is fine. Until {@linkcode BaseParty.leave}, the node is re-created after a
   * session expiry.
   */
  async join(options: CallOptions = {}): Promise<void> {
    const signal = options.signal;
    await this.zk.retry(() => this.#create(signal), { maxTries: -1, signal });
    this.#participating = true;
    if (!this.#listening) {
      this.#listening = true;
      this.zk.addListener(this.#onState);
    }
  }

  /**
   * Leaves the party (deletes our node). Resolves `true` if our node was
   * there to delete, `false` if it was already gone.
   */
  async leave(options: CallOptions = {}): Promise<boolean> {
    const signal = options.signal;
    this.#participating = false;
    if (this.#listening) {
      this.#listening = false;
      this.zk.removeListener(this.#onState);
    }
    await this.#rejoining?.catch(() => {});
    return await deleteRetried(this.zk, this.memberPath, { signal });
  }

  /** The members' identifiers, in no particular order. */
  async members(options: CallOptions = {}): Promise<string[]> {
    const signal = options.signal;
    const children = await this.#children(undefined, signal);
    return await this.identifiers(children, signal);
  }

  /** How many members the party has (kazoo's `len(party)`). */
  async size(options: CallOptions = {}): Promise<number> {
    return (await this.#children(undefined, options.signal)).length;
  }

  /**
   * The member list now, then again after every change, until `signal`
   * aborts (the iteration then ends) or the loop breaks. Changes that follow
   * each other quickly may be reported once.
   */
  async *watch(options: CallOptions = {}): AsyncIterableIterator<string[]> {
    const signal = options.signal;
    const wakeup = new Wakeup();
    let last: string | undefined;
    try {
      while (!signal?.aborted) {
        wakeup.arm();
        const children = await this.#children(wakeup.watcher, signal);
        const members = await this.identifiers(children, signal);
        const key = JSON.stringify([...members].sort());
        if (key !== last) {
          last = key;
          yield members;
        }
        await wakeup.wait(signal);
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    } finally {
      await forgetWatcher(this.zk, this.path, wakeup.watcher, "children");
    }
  }

  /** Iterates over the members' identifiers (kazoo's `for member in party`). */
  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    yield* await this.members();
  }

  /**
   * Leaves the party if it has joined. A closed client or an expired session
   * took the node along already, so those are not errors here.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#participating && !this.#listening) return;
    try {
      await this.leave();
    } catch (error) {
      if (!(error instanceof ClientClosedError || error instanceof SessionExpiredError)) {
        throw error;
      }
    }
  }

  async #ensure(signal: AbortSignal | undefined): Promise<void> {
    if (this.#ensured) return;
    await this.zk.ensurePath(this.path, { signal });
    this.#ensured = true;
  }

  async #create(signal: AbortSignal | undefined): Promise<void> {
    await this.#ensure(signal);
    try {
      // Our unique name: a node there is ours from a try whose reply was lost
      // (kept), or from an older session that the server still holds
      // (replaced: it would vanish when that session expires).
      await createOwnEphemeral(this.zk, this.memberPath, this.data, signal);
    } catch (error) {
      if (error instanceof NoNodeError) this.#ensured = false;
      throw error;
    }
  }

  async #rejoin(): Promise<void> {
    try {
      await this.zk.retry(async () => {
        if (this.#participating) await this.#create(undefined);
      }, { maxTries: -1 });
    } catch {
      // The client closed: nothing left to rejoin.
    }
  }

  /** What our node holds. */
  protected abstract readonly data: string;

  async #children(watch: Watcher | undefined, signal?: AbortSignal): Promise<string[]> {
    return await this.zk.retry(async () => {
      await this.#ensure(signal);
      try {
        return (await this.zk.getChildren(this.path, { watch, signal }))
          .filter((c) => this.isMember(c));
      } catch (error) {
        if (error instanceof NoNodeError) this.#ensured = false;
        throw error;
      }
    }, { maxTries: -1, signal });
  }
}

/**
 * A group of processes, each an ephemeral `{uuid4hex}__party__` node that
 * holds its identifier (kazoo's `Party`).
 *
 * @example
 * ```ts
 * import { Party, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare const signal: AbortSignal;
 * await using party = new Party(zk, "/services/api", "host-a:8080");
 * await party.join();
 * console.log(await party.members()); // ["host-a:8080", ...]
 * for await (const members of party.watch({ signal })) console.log("now", members);
 * ```
 */
export class Party extends BaseParty {
  /** This member's node name: `{uuid4hex}__party__`. */
  readonly node: string;
  /** The identifier, stored in our node. */
  protected readonly data: string;

  /** Makes a member (default identifier `""`, as kazoo's); nothing is sent until a call. */
  constructor(zk: ZooKeeperClientCore, path: string, identifier: string = "") {
    super(zk, path, identifier);
    this.node = crypto.randomUUID().replaceAll("-", "") + PARTY_MARKER;
    this.data = identifier;
  }

  /** Member nodes have `__party__` in their name. */
  protected isMember(child: string): boolean {
    return child.includes(PARTY_MARKER);
  }

  /** Reads each member node's identifier; members that left meanwhile are skipped. */
  protected async identifiers(children: string[], signal?: AbortSignal): Promise<string[]> {
    return await readTexts(this.zk, this.path, children, { signal, retry: true });
  }
}

/**
 * A group of processes, each an ephemeral `{uuid4hex}-{identifier}` node, so
 * the member list costs one call (kazoo's `ShallowParty`). The identifier must
 * be a valid node name (no `/`).
 *
 * @example
 * ```ts
 * import { ShallowParty, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const party = new ShallowParty(zk, "/workers", "worker-7");
 * await party.join();
 * console.log(await party.size(), await party.members());
 * await party.leave();
 * ```
 */
export class ShallowParty extends BaseParty {
  /** This member's node name: `{uuid4hex}-{identifier}`. */
  readonly node: string;
  /** The identifier again (kazoo stores it in both). */
  protected readonly data: string;

  /**
   * Makes a member; nothing is sent until a call.
   *
   * @throws {RangeError} for an identifier with a `/`.
   */
  constructor(zk: ZooKeeperClientCore, path: string, identifier: string = "") {
    if (identifier.includes("/")) {
      throw new BadArgumentsError(`shallow party ${path}: identifier ${identifier} has a "/"`);
    }
    super(zk, path, identifier);
    this.node = `${crypto.randomUUID().replaceAll("-", "")}-${identifier}`;
    this.data = identifier;
  }

  /** Every child is a member. */
  protected isMember(_child: string): boolean {
    return true;
  }

  /** The text after the first `-` of each name. */
  protected identifiers(children: string[]): Promise<string[]> {
    return Promise.resolve(children.map((c) => c.slice(c.indexOf("-") + 1)));
  }
}
