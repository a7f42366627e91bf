/**
 * Curator's `PersistentNode` (and the modes of its `PersistentEphemeralNode`):
 * a node this client keeps in place. It is created in the background, created
 * again under the same name after it is deleted or its session expires, and
 * keeps the data last given. The basis of service registration and group
 * membership.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import {
  BadArgumentsError,
  ClientClosedError,
  isRetryable,
  NodeExistsError,
  NoNodeError,
  NoWatcherError,
} from "../../lib/errors.ts";
import { sleep } from "../../lib/abort.ts";
import { dirname, joinPath, validatePath } from "../../lib/paths.ts";
import { type CallOptions, State, type WatchedEvent } from "../../lib/types.ts";
import { createWithParents, PROTECTED_PREFIX, protectedPath } from "./nodes.ts";

/**
 * How a {@linkcode PersistentNode} is created: Curator's `CreateMode`s, and
 * the `PROTECTED_*` modes of `PersistentEphemeralNode.Mode` (a protected name,
 * `_c_<uuid>-<name>`, lets a create retried after a connection loss find its
 * own node).
 */
export const PersistentNodeMode = {
  EPHEMERAL: "EPHEMERAL",
  EPHEMERAL_SEQUENTIAL: "EPHEMERAL_SEQUENTIAL",
  PROTECTED_EPHEMERAL: "PROTECTED_EPHEMERAL",
  PROTECTED_EPHEMERAL_SEQUENTIAL: "PROTECTED_EPHEMERAL_SEQUENTIAL",
  PERSISTENT: "PERSISTENT",
  PERSISTENT_SEQUENTIAL: "PERSISTENT_SEQUENTIAL",
} as const;
/** One of {@linkcode PersistentNodeMode}'s values. */
export type PersistentNodeMode = typeof PersistentNodeMode[keyof typeof PersistentNodeMode];

/** Options of {@linkcode PersistentNode}. */
export interface PersistentNodeOptions {
  /** How the node is created (default `EPHEMERAL`). */
  mode?: PersistentNodeMode;
  /** Protect the name even in a non-`PROTECTED_` mode (Curator's `useProtection`). */
  useProtection?: boolean;
  /** Receives errors that stop the node from being created (NoAuth, ...) (default `console.error`). */
  onError?: (error: unknown) => void;
}

/** Options of {@linkcode PersistentNode.waitForInitialCreate}. */
export interface WaitForInitialCreateOptions extends CallOptions {
  /** Milliseconds to wait before resolving `false` (default: no limit). */
  timeout?: number;
}

const encoder = new TextEncoder();

/**
 * A node kept in place, Curator's `PersistentNode`, znode for znode:
 * - the first create uses `basePath` in the chosen mode (sequential modes
 *   append the server's number; protected ones prefix `_c_<uuid>-`), with
 *   parents created as containers;
 * - every later create (after a delete by someone, a session expiry, or a
 *   reconnect) uses the exact name the node got, so the node is always back
 *   under the same name, with the latest data;
 * - a node found in place is adopted and given our data (as Curator does on
 *   every reconnect, which bumps its version);
 * - {@linkcode PersistentNode.close} deletes it.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { PersistentNode, PersistentNodeMode } from "@zk/client/curator";
 * await using node = new PersistentNode(zk, "/services/api/worker-", "10.0.0.5:8080", {
 *   mode: PersistentNodeMode.PROTECTED_EPHEMERAL_SEQUENTIAL,
 * });
 * node.start();
 * if (await node.waitForInitialCreate({ timeout: 10_000 })) console.log(node.actualPath);
 * await node.setData("10.0.0.5:8081"); // kept through expiry and re-creates
 * ```
 */
export class PersistentNode implements AsyncDisposable {
  /** The path the node was asked for (its name may end up protected or numbered). */
  readonly basePath: string;
  /** The creation mode. */
  readonly mode: PersistentNodeMode;
  readonly #zk: ZooKeeperClientCore;
  readonly #ephemeral: boolean;
  readonly #sequential: boolean;
  readonly #uuid: string | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #stopped = new AbortController();
  #data: Uint8Array;
  #path: string | undefined;
  #state: "latent" | "started" | "closed" = "latent";
  #dirty = false;
  #working: Promise<void> | undefined;
  #createdOnce!: () => void;
  readonly #initialCreate: Promise<void>;
  #closing: Promise<void> | undefined;
  // A protected first create whose reply was lost: look for it before creating again.
  #maybeCreated = false;

  /** Makes the node; nothing is sent before {@linkcode PersistentNode.start}. */
  constructor(
    zk: ZooKeeperClientCore,
    basePath: string,
    data: Uint8Array | string,
    options: PersistentNodeOptions = {},
  ) {
    const mode = options.mode ?? PersistentNodeMode.EPHEMERAL;
    if (!Object.values(PersistentNodeMode).includes(mode)) {
      throw new BadArgumentsError(`unknown PersistentNode mode ${String(mode)}`);
    }
    validatePath(basePath, mode.endsWith("SEQUENTIAL"));
    this.#zk = zk;
    this.basePath = basePath;
    this.mode = mode;
    this.#ephemeral = mode.includes("EPHEMERAL");
    this.#sequential = mode.endsWith("SEQUENTIAL");
    const protect = mode.startsWith("PROTECTED_") || (options.useProtection ?? false);
    this.#uuid = protect ? crypto.randomUUID() : undefined;
    this.#data = typeof data === "string" ? encoder.encode(data) : data;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#initialCreate = new Promise((resolve) => this.#createdOnce = resolve);
  }

  /** The node's actual path once created (undefined before). */
  get actualPath(): string | undefined {
    return this.#path;
  }

  /** The data the node is kept with. */
  get data(): Uint8Array {
    return this.#data;
  }

  /** Starts creating the node in the background. */
  start(): void {
    if (this.#state !== "latent") {
      throw new BadArgumentsError(`PersistentNode ${this.basePath} was already started`);
    }
    this.#state = "started";
    this.#zk.addListener(this.#onState);
    this.#kick();
  }

  /**
   * Resolves `true` once the node was created (or adopted) the first time,
   * `false` if `timeout` ms pass first; rejects with the signal's reason.
   */
  async waitForInitialCreate(options: WaitForInitialCreateOptions = {}): Promise<boolean> {
    const { timeout, signal } = options;
    if (this.#state === "latent") {
      throw new BadArgumentsError(`PersistentNode ${this.basePath} is not started`);
    }
    signal?.throwIfAborted();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<boolean>((resolve, reject) => {
        this.#initialCreate.then(() => resolve(true));
        if (timeout !== undefined) timer = setTimeout(() => resolve(false), timeout);
        onAbort = () => reject(signal?.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Sets the node's data: kept for every later re-create, and written to the
   * node now if it exists (unversioned, as Curator).
   */
  async setData(data: Uint8Array | string, options: CallOptions = {}): Promise<void> {
    if (this.#state !== "started") {
      throw new BadArgumentsError(`PersistentNode ${this.basePath} is not started (or closed)`);
    }
    this.#data = typeof data === "string" ? encoder.encode(data) : data;
    const path = this.#path;
    if (path === undefined) return; // the create will use it
    try {
      await this.#zk.set(path, this.#data, { signal: options.signal });
    } catch (error) {
      // Gone: the watch re-creates it with the new data.
      if (!(error instanceof NoNodeError)) throw error;
      this.#kick();
    }
  }

  /**
   * Stops keeping the node and deletes it (retried through connection loss,
   * Curator's guaranteed delete). Idempotent.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      const wasStarted = this.#state === "started";
      this.#state = "closed";
      this.#stopped.abort();
      if (!wasStarted) return;
      this.#zk.removeListener(this.#onState);
      await this.#working;
      const path = this.#path;
      if (path === undefined) return;
      try {
        await this.#zk.removeWatches(path, { type: "data", watcher: this.#watcher, local: true });
      } catch (error) {
        if (!(error instanceof NoWatcherError)) throw error;
      }
      try {
        await this.#zk.retry(() => this.#zk.delete(path), { maxTries: -1 });
      } catch (error) {
        if (!(error instanceof NoNodeError || error instanceof ClientClosedError)) throw error;
      }
    })();
  }

  /** The same as {@linkcode PersistentNode.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Runs {@linkcode PersistentNode.#ensure} until nothing asks for it again; one run at a time. */
  #kick(): void {
    if (this.#state !== "started") return;
    this.#dirty = true;
    this.#working ??= this.#work();
  }

  async #work(): Promise<void> {
    let delay = 20;
    try {
      while (this.#dirty && this.#state === "started") {
        this.#dirty = false;
        try {
          await this.#ensure();
          delay = 20;
        } catch (error) {
          if (this.#state !== "started") break;
          if (!isRetryable(error)) {
            // NoAuth, an invalid ACL and the like: trying again will not help.
            this.#onError(error);
            break;
          }
          this.#dirty = true;
          await sleep(delay, this.#stopped.signal).catch(() => {});
          delay = Math.min(delay * 2, 1_000);
        }
      }
    } finally {
      this.#working = undefined;
    }
  }

  /** Creates the node (or adopts it) and watches it. */
  async #ensure(): Promise<void> {
    // Creates get no signal: one that close() abandoned could still land on
    // the server, unknown to us. Awaited instead, its node is deleted by close().
    const signal = this.#stopped.signal;
    let path = this.#path;
    if (path === undefined && this.#maybeCreated) path = await this.#findProtected();
    if (path === undefined) {
      // First create: the protected name and the sequence number are decided now.
      const target = this.#uuid ? protectedPath(this.basePath, this.#uuid) : this.basePath;
      try {
        path = await createWithParents(this.#zk, target, this.#data, {
          ephemeral: this.#ephemeral,
          sequential: this.#sequential,
        });
      } catch (error) {
        if (!(error instanceof NodeExistsError)) {
          if (this.#uuid && isRetryable(error)) this.#maybeCreated = true;
          throw error;
        }
        // Only a non-sequential name can exist already: adopt it, as Curator does.
        path = target;
        await this.#zk.set(path, this.#data, { signal });
      }
    } else {
      // Again under the name it got, sequence number and protection included.
      try {
        await createWithParents(this.#zk, path, this.#data, { ephemeral: this.#ephemeral });
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
        // Still there (a reconnect with the same session): make sure it has our data.
        try {
          await this.#zk.set(path, this.#data, { signal });
        } catch (gone) {
          if (!(gone instanceof NoNodeError)) throw gone;
          this.#dirty = true;
          return;
        }
      }
    }
    if (this.#state !== "started") {
      // Closed meanwhile: close() deletes what we made.
      this.#path = path;
      return;
    }
    this.#path = path;
    if (await this.#zk.exists(path, { watch: this.#watcher, signal }) === null) {
      this.#dirty = true; // deleted already
      return;
    }
    this.#createdOnce();
  }

  /**
   * After a protected first create whose reply was lost: our node, if it was
   * created, is the parent's child with our uuid. One left by an expired
   * session of ours is deleted (its ephemeral would vanish under us).
   */
  async #findProtected(): Promise<string | undefined> {
    const parent = dirname(this.basePath);
    const prefix = `${PROTECTED_PREFIX}${this.#uuid}-`;
    let children: string[];
    try {
      children = await this.#zk.getChildren(parent, { signal: this.#stopped.signal });
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }
    const name = children.find((child) => child.startsWith(prefix));
    if (name === undefined) {
      this.#maybeCreated = false;
      return undefined;
    }
    const path = joinPath(parent, name);
    const stat = await this.#zk.exists(path, { signal: this.#stopped.signal });
    this.#maybeCreated = false;
    if (stat === null) return undefined;
    if (this.#ephemeral && stat.ephemeralOwner !== this.#zk.sessionId) {
      try {
        await this.#zk.delete(path, { signal: this.#stopped.signal });
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      return undefined;
    }
    return path;
  }

  readonly #watcher = (event: WatchedEvent): void => {
    if (this.#state !== "started") return;
    // Deleted: put it back. Changed: set the watch again (foreign data is left
    // alone, as in Curator). NONE: the state listener acts on reconnects.
    if (event.type === "DELETED") this.#kick();
    else if (event.type === "CHANGED") this.#rearm();
  };

  /** Watches the node again after a change, without touching its data. */
  #rearm(): void {
    const path = this.#path;
    if (path === undefined) return;
    this.#zk.exists(path, { watch: this.#watcher, signal: this.#stopped.signal }).then(
      (stat) => {
        if (stat === null) this.#kick();
      },
      // A reconnect re-creates and watches it anyway.
      () => {},
    );
  }

  // After a reconnect (same session or a new one) the node is created again or
  // re-written: an expired session took its ephemeral with it.
  readonly #onState = (state: State): void => {
    if (state === State.CONNECTED) this.#kick();
  };
}
